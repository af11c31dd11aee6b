"""What a raw asset does with the records its load set aside (``raw.quarantine``).

A few quarantined records are a warning: the asset logs one line and its metadata shows the count and the
reasons; the ``no_quarantined_records`` check of the change feeds fails with WARN. More than the configured
share of a read (``B24_QUARANTINE_MAX_SHARE``, default 1 %) is not a few odd records but a portal (or a
client) speaking a format the product does not read: the asset fails — after committing what did load —
and the sync says so in one line.
"""

from __future__ import annotations

import dagster as dg

from orchestration.warehouse.raw_load import LoadResult


def quarantine_metadata(result: LoadResult) -> dict[str, object]:
    return {"quarantined": result.quarantined, "quarantine_reasons": dict(result.reasons)}


def judge_quarantine(
    context: dg.AssetExecutionContext, table: str, result: LoadResult, max_share: float
) -> None:
    """Warn about quarantined records; raise :class:`dagster.Failure` above ``max_share`` of the read."""
    if not result.quarantined:
        return
    reasons = ", ".join(f"{count} × {reason}" for reason, count in sorted(result.reasons.items()))
    line = (
        f"{result.quarantined:,} of {result.rows_received:,} records of raw/{table} quarantined"
        f" ({reasons}); see raw.quarantine"
    )
    if result.quarantined_share > max_share:
        raise dg.Failure(
            description=f"{line}: {result.quarantined_share:.1%} is more than B24_QUARANTINE_MAX_SHARE"
            f" ({max_share:.1%})",
            metadata=quarantine_metadata(result),
        )
    context.log.warning(line)
