"""Timeline comments of the deals and leads a window touched (crm.timeline.comment.list).

The method only answers per record (``ENTITY_TYPE`` + ``ENTITY_ID`` are required filters), so the cost
is bounded by records, not comments: the deals and leads whose versions the same window stored in
``raw.deals`` / ``raw.leads``, 50 records per ``batch`` request (one ``start=-1`` command per record).
Lead and deal comments share one ID sequence (docs/bitrix24-api.md § Activities and timeline comments
bound to leads) and one raw table; ``ENTITY_TYPE`` tells them apart. A year's backfill of a 70-manager
portal (≈ 72,000 deals) costs ≈ 1,450 requests, about 12 minutes at 2 requests a second; a day's sync,
the day's changed deals / 50. A comment added to a deal that does not change the deal itself is seen
when the deal next changes (or at the next backfill of its day); for the first-touch metric only early
comments matter.

A deal with a full first page gets its further pages read on their own. The vendor's code reads no
filter key but ``ENTITY_ID``/``ENTITY_TYPE``, so a ``>ID`` filter does not page there (docs/bitrix24-api.md,
"crm.timeline.comment.list"); a portal that applies the whole filter may exist. :class:`CommentReader`
asks once per run with ``>ID`` and looks at the answer: rows after the ID mean keyset paging works, the
first page again means the filter was ignored, and every further page is read by ``start`` offset with
``order {ID: ASC}`` instead.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
from psycopg2 import sql

from orchestration.bitrix24 import Bitrix24Client
from orchestration.bitrix24.batch import MAX_COMMANDS
from orchestration.defs.ingestion.quarantine import judge_quarantine, quarantine_metadata
from orchestration.defs.ingestion.raw_schema import raw_table_metadata
from orchestration.defs.ingestion.run_metadata import record_window
from orchestration.defs.partitions import ChangeWindow, daily_partitions, portal_time_zone, window_of
from orchestration.defs.resources import Bitrix24Resource, WarehouseResource
from orchestration.warehouse.raw_load import load_versions
from orchestration.warehouse.raw_tables import RAW_ENTITIES

METHOD = "crm.timeline.comment.list"
PAGE_SIZE = 50
ID_ORDER = {"ID": "ASC"}  # the vendor sorts by ID, CREATED or AUTHOR_ID only, spelled so


# raw table of the records -> the method's ENTITY_TYPE
ENTITY_TYPES = {"deals": "deal", "leads": "lead"}


def _comment_filter(entity_type: str, record_id: int) -> dict[str, Any]:
    return {"ENTITY_TYPE": entity_type, "ENTITY_ID": record_id}


def _first_page_params(entity_type: str, record_id: int) -> dict[str, Any]:
    # start=-1: no COUNT per deal where the portal honours it. Measured against the emulator's cost model
    # on a 70-manager quarter: 0.164 s of operating time a call with start=0, 0.006 s with start=-1 — at
    # 0.164 s the method's 480 s / 10 min budget runs out after ~2,900 deals and the export stalls.
    return {"filter": _comment_filter(entity_type, record_id), "order": ID_ORDER, "start": -1}


def _ids(rows: list[dict[str, Any]]) -> list[int]:
    return [int(row["ID"]) for row in rows]


class CommentReader:
    """Every comment of the given records, once; learns in its first probe how the portal pages comments."""

    def __init__(self, client: Bitrix24Client) -> None:
        self.client = client
        # None until a probe told: True when the portal applies ``>ID``, False when it ignores it.
        self.id_filter: bool | None = None

    @property
    def paging(self) -> str:
        """How further pages were read, for the run's metadata."""
        return {None: "no deal needed a second page", True: "keyset (>ID)", False: "offset (start)"}[
            self.id_filter
        ]

    def comments(self, record_ids: list[int], entity_type: str = "deal") -> Iterator[dict[str, Any]]:
        """The comments of the records ``record_ids`` of ``entity_type`` (``deal``, ``lead``)."""
        for start in range(0, len(record_ids), MAX_COMMANDS):
            chunk = record_ids[start : start + MAX_COMMANDS]
            commands = {
                f"r{record_id}": (METHOD, _first_page_params(entity_type, record_id)) for record_id in chunk
            }
            batch = self.client.batch(commands, halt=False)
            for record_id in chunk:
                key = f"r{record_id}"
                if key in batch.results:
                    page = batch.results[key] or []
                else:
                    # The command failed inside the batch: read this page alone (with retries; a fatal
                    # error surfaces there with its message).
                    page = self.client.call(METHOD, _first_page_params(entity_type, record_id)).result or []
                yield from page
                if len(page) == PAGE_SIZE:  # a full page: the record may have more
                    yield from self._after_first_page(entity_type, record_id, max(_ids(page)))

    def _after_first_page(self, entity_type: str, record_id: int, last_id: int) -> Iterator[dict[str, Any]]:
        if self.id_filter is not False:
            after = {**_comment_filter(entity_type, record_id), ">ID": last_id}
            probe = self.client.call(METHOD, {"filter": after, "order": ID_ORDER, "start": -1}).result or []
            if all(row_id > last_id for row_id in _ids(probe)):
                if probe:  # an empty answer proves nothing: the deal may have had exactly one page
                    self.id_filter = True
                yield from probe
                if len(probe) == PAGE_SIZE:
                    rest = {**_comment_filter(entity_type, record_id), ">ID": max(_ids(probe))}
                    for keyset_page in self.client.iter_keyset(METHOD, {"filter": rest}):
                        yield from keyset_page
                return
            # The first page again: the portal ignored >ID.
            self.id_filter = False
        params = {"filter": _comment_filter(entity_type, record_id), "order": ID_ORDER}
        for offset_page in self.client.iter_offset(METHOD, params, start=PAGE_SIZE):
            yield from offset_page


def _observed(conn: Any, table: str, portal_id: str, window: ChangeWindow) -> list[int]:
    """IDs of the records of ``raw.<table>`` (deals, leads) with a version stored by ``window``."""
    with conn.cursor() as cur:
        cur.execute(
            sql.SQL(
                "select distinct id from {table} where portal_id = %s and partition_key between %s and %s"
                " order by id"
            ).format(table=sql.Identifier("raw", table)),
            (portal_id, window.first_day.isoformat(), window.last_day.isoformat()),
        )
        return [row[0] for row in cur.fetchall()]


@dg.asset(
    key=dg.AssetKey(["raw", "timeline_comments"]),
    deps=[dg.AssetKey(["raw", table]) for table in ENTITY_TYPES],
    group_name="raw",
    description=(
        "Timeline comments of the deals and leads changed in the window"
        " (crm.timeline.comment.list, per record)."
    ),
    metadata=raw_table_metadata("timeline_comments"),
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    kinds={"bitrix24", "postgres"},
    owners=["team:data-engineering"],
)
def timeline_comments(
    context: dg.AssetExecutionContext, bitrix24: Bitrix24Resource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    window = window_of(context)
    client = bitrix24.client()
    reader = CommentReader(client)
    with warehouse.connection() as conn:
        observed = {table: _observed(conn, table, bitrix24.portal_id, window) for table in ENTITY_TYPES}
        result = load_versions(
            conn,
            RAW_ENTITIES["timeline_comments"],
            portal_id=bitrix24.portal_id,
            partition_key=lambda record: window.partition_of(record["CREATED"]),
            records=(
                comment
                for table, entity_type in ENTITY_TYPES.items()
                for comment in reader.comments(observed[table], entity_type)
            ),
            time_zone=portal_time_zone(),
            window=window.describe(),
        )
        conn.commit()
    deal_ids = observed["deals"]
    judge_quarantine(context, "timeline_comments", result, warehouse.quarantine_max_share)
    context.log.info(
        f"raw.timeline_comments {window.describe()}: {len(deal_ids)} deals, {len(observed['leads'])} leads,"
        f" {result.rows_received} comments; further pages: {reader.paging}"
    )
    return record_window(
        context,
        window,
        result,
        client.stats,
        {
            "deals": len(deal_ids),
            "leads": len(observed["leads"]),
            "comment_paging": reader.paging,
            **quarantine_metadata(result),
        },
    )
