"""The metadata a raw asset records on its materialisations: each partition its own rows, the run's cost once.

A backfill is ONE run over many days (``BackfillPolicy.single_run``), and Dagster records one materialisation
per day. Copying the run's totals onto every day made the asset's plots flat and every sum over days count
the run hundreds of times (issue #19 point 10: 396 partitions of raw/calls each "cost 62 requests"). So:

- every partition records what is its own: ``rows`` and ``new_versions`` attributed to that day;
- the run's values (requests, batches, retries, waits, elapsed, the window) are recorded once, on the
  window's last day — a keyset pass cannot say which day a request served, so no share is made up;
- a ``summary`` line says the same in words, large numbers with thousands separators (the UI prints
  integers bare).

Sums over partitions therefore equal the run's totals (tests/ingestion/test_incremental_cost.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg

from orchestration.bitrix24.stats import ExtractStats
from orchestration.defs.partitions import ChangeWindow
from orchestration.warehouse.raw_load import LoadResult


def summary(rows: int, versions: int, stats: ExtractStats, extra: str = "") -> str:
    """One line a person reads: ``135,228 rows, 1,204 new versions, 62 requests, 0 retries``."""
    retries = sum(stats.retries_by_cause.values())
    text = f"{rows:,} rows, {versions:,} new versions, {stats.http_requests:,} requests, {retries:,} retries"
    return f"{text}; {extra}" if extra else text


def snapshot_metadata(result: LoadResult, stats: ExtractStats) -> dict[str, Any]:
    """An unpartitioned asset: one materialisation per run, so the run's values are its own."""
    return {
        **stats.as_metadata(),
        "rows": result.rows_received,
        "new_versions": result.versions_added,
        "summary": summary(result.rows_received, result.versions_added, stats),
    }


def record_window(
    context: dg.AssetExecutionContext,
    window: ChangeWindow,
    result: LoadResult,
    stats: ExtractStats,
    run_values: Mapping[str, Any] | None = None,
) -> dg.MaterializeResult:
    """Record ``result`` per partition of the run and the run's cost once; ``run_values`` are further
    run-level entries (e.g. how many deals a comment pass read)."""
    keys = context.partition_keys
    for key in keys:
        context.add_asset_metadata(
            {"rows": result.rows_by_partition[key], "new_versions": result.versions_by_partition[key]},
            partition_key=key,
        )
    # A version is attributed to the day of its own stamp; a timeline comment can be older than the window
    # of the deal it belongs to, so its day lies outside the run's partitions: counted with the run.
    outside = result.rows_received - sum(result.rows_by_partition[key] for key in keys)
    days = len(keys)
    run = {
        key: value for key, value in stats.as_metadata().items() if key != "rows"
    }  # the paged rows: the per-day rows sum to them
    run |= {
        "window": window.describe(),
        "days": days,
        "run_rows": result.rows_received,
        "run_new_versions": result.versions_added,
        **({"rows_outside_window": outside} if outside else {}),
        **(run_values or {}),
        "summary": summary(
            result.rows_received,
            result.versions_added,
            stats,
            f"the whole run over {days:,} days ({keys[0]} – {keys[-1]}), recorded on its last day",
        ),
    }
    context.add_asset_metadata(run, partition_key=keys[-1])
    return dg.MaterializeResult()
