"""Partitioned raw assets: what changed in the portal during each day.

Each daily partition reads the records whose change stamp falls in that day (DATE_MODIFY for deals and
leads, LAST_UPDATED for activities — bound to deals, leads or anything else: the read has no owner filter —
CALL_START_DATE for calls, CREATED_TIME for the deals' and the leads' stage history) with the
keyset-in-batch recipe of the REST client. A backfill of many days runs as ONE run over the whole
range (``BackfillPolicy.single_run``): one keyset pass costs ``rows / 2,500`` requests whatever the
number of days, where a run per day would pay the small-window overhead a year of times. Each version
is still attributed to the day of its own stamp, so every partition stays identifiable.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import dagster as dg

from orchestration.bitrix24 import Bitrix24Client
from orchestration.defs.ingestion.quarantine import judge_quarantine, quarantine_metadata
from orchestration.defs.ingestion.raw_schema import raw_table_metadata
from orchestration.defs.ingestion.run_metadata import record_window
from orchestration.defs.partitions import ChangeWindow, daily_partitions, portal_time_zone, window_of
from orchestration.defs.resources import Bitrix24Resource, WarehouseResource
from orchestration.warehouse.raw_load import load_versions
from orchestration.warehouse.raw_tables import RAW_ENTITIES


@dataclass(frozen=True)
class ChangeFeed:
    """A list method read by change window."""

    table: str
    method: str
    stamp_field: str
    description: str
    filter_key: str = "filter"
    extra_params: dict[str, Any] = field(default_factory=dict)
    result_path: tuple[str, ...] | None = None
    # How long after its stamp a record may still first appear in the list: the count check leaves out the
    # records stamped this close to the run's start (listed, maybe, after the load read the window).
    settle: timedelta = timedelta(0)


CHANGE_FEEDS = (
    ChangeFeed(
        "deals",
        "crm.deal.list",
        "DATE_MODIFY",
        "Deals changed during the day (crm.deal.list).",
        extra_params={"select": ["*", "UF_*"]},
    ),
    ChangeFeed(
        "leads",
        "crm.lead.list",
        "DATE_MODIFY",
        "Leads changed during the day (crm.lead.list).",
        extra_params={"select": ["*", "UF_*"]},
    ),
    ChangeFeed(
        "activities",
        "crm.activity.list",
        "LAST_UPDATED",
        "Activities (calls, e-mails, chats, to-dos, meetings) changed during the day (crm.activity.list).",
    ),
    ChangeFeed(
        "calls",
        "voximplant.statistic.get",
        "CALL_START_DATE",
        "Calls started during the day (voximplant.statistic.get).",
        filter_key="FILTER",
        # listed when it ends, stamped with its start (docs/bitrix24-api.md § voximplant.statistic.get)
        settle=timedelta(hours=6),
    ),
    ChangeFeed(
        "stage_history",
        "crm.stagehistory.list",
        "CREATED_TIME",
        "Stage transitions of deals during the day (crm.stagehistory.list).",
        extra_params={"entityTypeId": 2},
        result_path=("items",),
    ),
    ChangeFeed(
        "lead_stage_history",
        "crm.stagehistory.list",
        "CREATED_TIME",
        "Status transitions of leads during the day (crm.stagehistory.list, entityTypeId 1).",
        extra_params={"entityTypeId": 1},
        result_path=("items",),
    ),
)


def window_params(feed: ChangeFeed, window: ChangeWindow, until: datetime | None = None) -> dict[str, Any]:
    """The method's parameters selecting the records stamped inside ``window`` (and before ``until``)."""
    end = window.end if until is None else min(window.end, until)
    return {
        **feed.extra_params,
        feed.filter_key: {
            f">={feed.stamp_field}": window.start.isoformat(),
            f"<{feed.stamp_field}": end.isoformat(),
        },
    }


def fetch_changes(client: Bitrix24Client, feed: ChangeFeed, window: ChangeWindow) -> Iterator[dict[str, Any]]:
    params = window_params(feed, window)
    for page in client.iter_keyset(feed.method, params, result_path=feed.result_path):
        yield from page


def _build_change_asset(feed: ChangeFeed) -> dg.AssetsDefinition:
    @dg.asset(
        key=dg.AssetKey(["raw", feed.table]),
        group_name="raw",
        description=feed.description,
        metadata=raw_table_metadata(feed.table),
        partitions_def=daily_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        kinds={"bitrix24", "postgres"},
        owners=["team:data-engineering"],
    )
    def _changes(
        context: dg.AssetExecutionContext, bitrix24: Bitrix24Resource, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        window = window_of(context)
        client = bitrix24.client()
        entity = RAW_ENTITIES[feed.table]
        with warehouse.connection() as conn:
            result = load_versions(
                conn,
                entity,
                portal_id=bitrix24.portal_id,
                partition_key=lambda record: window.partition_of(record[feed.stamp_field]),
                records=fetch_changes(client, feed, window),
                time_zone=portal_time_zone(),
                window=window.describe(),
            )
            # One commit for the whole window: a crash leaves no partial partition.
            conn.commit()
        judge_quarantine(context, feed.table, result, warehouse.quarantine_max_share)
        context.log.info(
            f"raw.{feed.table} {window.describe()}: {result.rows_received} rows, "
            f"{result.versions_added} new versions"
        )
        return record_window(context, window, result, client.stats, quarantine_metadata(result))

    return _changes


change_assets = [_build_change_asset(feed) for feed in CHANGE_FEEDS]
