"""Deletion sweep: which records stored in ``raw`` no longer exist in the portal.

List methods never return deleted rows and a webhook gets no delete events (docs/bitrix24-api.md § Deletions),
so the only way to learn about a deletion is to list every ID that still exists and anti-join. With
``select=[ID]`` and the keyset-in-batch recipe that costs ``ids / 2,500`` requests: ~230 requests (about two
minutes at 2 req/s) for the 72,000 deals and 524,000 activities of a 70-manager year, hence a weekly schedule.

Swept: deals, leads and activities, the records people delete, and the leads' status history: the vendor
deletes a lead's final-status row when the lead leaves that status again (docs/bitrix24-api.md
§ crm.stagehistory.list — leads). Not swept: calls (``voximplant.statistic.get`` rows are written once at
call end and never deleted; the method also ignores ``select``) and the deals' stage history (append-only,
and rows of a deleted deal are hidden with the deal by the marts' joins).

The ledger ``raw.deletions`` holds one row per record missing at the latest sweep; ``detected_at`` is
that sweep's time, and staging hides a record only if it was found missing *after* its last sighting
(``dbt_project/macros/latest_version.sql``), so a record restored from the recycle bin and seen again
comes back by itself. A record present again at a sweep leaves the ledger.
"""

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
from psycopg2 import sql
from psycopg2.extensions import connection as Connection

from orchestration.bitrix24 import Bitrix24Client
from orchestration.defs.resources import Bitrix24Resource, WarehouseResource


@dataclass(frozen=True)
class Sweep:
    """One entity whose IDs are listed in full."""

    table: str
    method: str
    extra_params: dict[str, Any] = field(default_factory=dict)
    result_path: tuple[str, ...] | None = None


SWEEPS = (
    Sweep("deals", "crm.deal.list"),
    Sweep("leads", "crm.lead.list"),
    Sweep("activities", "crm.activity.list"),
    Sweep("lead_stage_history", "crm.stagehistory.list", {"entityTypeId": 1}, ("items",)),
)

# A webhook that lost its rights lists fewer (or no) records, which would look like a mass deletion
# (docs/bitrix24-api.md § Deletions). Above this share of stored records missing at once, the sweep fails
# instead of marking.
MAX_MISSING_SHARE = 0.5


@dataclass(frozen=True)
class SweepResult:
    portal_ids: int
    missing: int
    newly_missing: int
    restored: int


def portal_ids(client: Bitrix24Client, sweep: Sweep) -> Iterable[int]:
    """Every ID the portal lists for the entity, ascending (keyset, ``select=[ID]``)."""
    params = {**sweep.extra_params, "select": ["ID"]}
    for page in client.iter_keyset(sweep.method, params, result_path=sweep.result_path):
        for row in page:
            yield int(row["ID"])


def record_sweep(conn: Connection, portal_id: str, table: str, ids: Iterable[int]) -> SweepResult:
    """Update ``raw.deletions`` for ``table`` from the complete list of IDs the portal holds.

    Runs in the caller's transaction (commit once per sweep: a failed sweep must not mark anything).
    """
    buffer = io.StringIO("".join(f"{record_id}\n" for record_id in ids))
    raw_table = sql.Identifier("raw", table)
    with conn.cursor() as cur:
        cur.execute("create temp table if not exists _sweep_ids (id bigint primary key) on commit drop")
        cur.execute("truncate _sweep_ids")
        cur.copy_expert("copy _sweep_ids (id) from stdin", buffer)
        cur.execute("select count(*) from _sweep_ids")
        (listed,) = cur.fetchone()
        cur.execute(
            """
            delete from raw.deletions d
            where d.portal_id = %s and d.entity = %s and exists (select 1 from _sweep_ids s where s.id = d.id)
            """,
            (portal_id, table),
        )
        restored = cur.rowcount
        cur.execute(
            sql.SQL(
                """
                insert into raw.deletions (portal_id, entity, id, detected_at)
                select distinct r.portal_id, %s, r.id, now()
                from {raw_table} r
                where r.portal_id = %s and not exists (select 1 from _sweep_ids s where s.id = r.id)
                on conflict (portal_id, entity, id) do update set detected_at = excluded.detected_at
                returning (xmax = 0) as inserted
                """
            ).format(raw_table=raw_table),
            (table, portal_id),
        )
        flags = [inserted for (inserted,) in cur.fetchall()]
        cur.execute(
            sql.SQL("select count(distinct id) from {raw_table} where portal_id = %s").format(
                raw_table=raw_table
            ),
            (portal_id,),
        )
        (stored,) = cur.fetchone()
    if stored and len(flags) > MAX_MISSING_SHARE * stored:
        raise dg.Failure(
            f"deletion sweep of {table}: {len(flags)} of {stored} stored records are missing from the "
            "portal — refusing to mark them deleted (does the webhook still see every record?)"
        )
    return SweepResult(portal_ids=listed, missing=len(flags), newly_missing=sum(flags), restored=restored)


@dg.asset(
    key=dg.AssetKey(["raw", "deletions"]),
    deps=[dg.AssetKey(["raw", sweep.table]) for sweep in SWEEPS],
    group_name="reconciliation",
    description=(
        "Records deleted in the portal: a full ID sweep (select=[ID], keyset) of deals, leads, activities "
        "and lead status history, anti-joined with raw. Staging hides a record found missing after its last "
        "sighting."
    ),
    kinds={"bitrix24", "postgres"},
    owners=["team:data-engineering"],
)
def raw_deletions(
    context: dg.AssetExecutionContext, bitrix24: Bitrix24Resource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    client = bitrix24.client()
    per_entity: dict[str, dict[str, int]] = {}
    with warehouse.connection() as conn:
        for sweep in SWEEPS:
            result = record_sweep(conn, bitrix24.portal_id, sweep.table, portal_ids(client, sweep))
            per_entity[sweep.table] = {
                "portal_ids": result.portal_ids,
                "missing": result.missing,
                "newly_missing": result.newly_missing,
                "restored": result.restored,
            }
            context.log.info(f"deletion sweep of {sweep.table}: {per_entity[sweep.table]}")
        conn.commit()
    return dg.MaterializeResult(
        metadata={
            "missing": sum(entity["missing"] for entity in per_entity.values()),
            "newly_missing": sum(entity["newly_missing"] for entity in per_entity.values()),
            "by_entity": per_entity,
            **client.stats.as_metadata(),
        }
    )


reconciliation_assets = [raw_deletions]
