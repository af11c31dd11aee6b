"""The alerts as Dagster assets: after the marts, deliver what is due; the UI shows what each run sent."""

from collections.abc import Callable
from datetime import UTC, datetime

import dagster as dg
from psycopg2.extensions import connection as Connection

from orchestration.alerts import state
from orchestration.alerts.delivery import Outcome
from orchestration.alerts.digest import run_digests
from orchestration.alerts.settings import AlertsResource
from orchestration.alerts.sla import run_sla_alerts
from orchestration.bitrix24 import Bitrix24Client
from orchestration.defs.partitions import portal_time_zone
from orchestration.defs.resources import Bitrix24Resource, WarehouseResource


class DeliveryConfig(dg.Config):
    """``as_of``: an ISO-8601 instant to act as "now" (tests, a replay); empty = the wall clock."""

    as_of: str = ""

    def now(self) -> datetime:
        return datetime.fromisoformat(self.as_of) if self.as_of else datetime.now(UTC)


def _finish(context: dg.AssetExecutionContext, outcome: Outcome) -> dg.MaterializeResult:
    metadata = outcome.metadata()
    if outcome.errors:
        # the ledger already holds every row's state: raising only makes the run (and the UI) say so
        raise dg.Failure(
            description="Some alerts were not delivered:\n" + "\n".join(outcome.errors[:20]),
            metadata=metadata,
        )
    context.log.info("alerts: %s", ", ".join(f"{k} {v}" for k, v in metadata.items()))
    return dg.MaterializeResult(metadata=metadata)


def _deliver(
    context: dg.AssetExecutionContext,
    config: DeliveryConfig,
    warehouse: WarehouseResource,
    bitrix24: Bitrix24Resource,
    alerts: AlertsResource,
    kind: str,
    run: Callable[[Connection, Bitrix24Client, datetime], Outcome],
) -> dg.MaterializeResult:
    """One delivery pass of ``kind`` under its lock: orphans of a dead run first, then ``run``."""
    if not alerts.enabled:
        context.log.info("alerts are off (B24_ALERTS=on switches them on): nothing recorded or sent")
        return dg.MaterializeResult(metadata={"enabled": False})
    now = config.now()
    with warehouse.connection() as conn:
        state.ensure_table(conn)
        if not state.try_lock(conn, kind):
            raise dg.Failure(description=f"another {kind} delivery is running; this run sent nothing")
        unknown = state.orphans_to_unknown(conn, now, kind)
        with bitrix24.client(repeat_unanswered=False) as client:
            outcome = run(conn, client, now)
    outcome.counts["unknown"] += unknown
    if unknown:
        outcome.errors.append(
            f"{unknown} message(s) were claimed by a run that ended before recording the portal's answer: "
            "not re-sent (they may have arrived); see alerts.deliveries, status 'unknown'"
        )
    return _finish(context, outcome)


@dg.asset(
    key=["alerts", "sla_alert_deliveries"],
    deps=[dg.AssetKey(["marts", "sla_alerts"]), dg.AssetKey(["marts", "alert_recipients"])],
    group_name="alerts",
    owners=["team:analytics-engineering"],
    kinds={"bitrix24", "postgres"},
    description="SLA alerts of marts.sla_alerts sent to Bitrix24, each (request, level) once, in the "
    "recipient's working time and language (marts.alert_recipients); the ledger is alerts.deliveries.",
)
def sla_alert_deliveries(
    context: dg.AssetExecutionContext,
    config: DeliveryConfig,
    warehouse: WarehouseResource,
    bitrix24: Bitrix24Resource,
    alerts: AlertsResource,
) -> dg.MaterializeResult:
    def run(conn: Connection, client: Bitrix24Client, now: datetime) -> Outcome:
        return run_sla_alerts(conn, client, now, alerts.language, alerts.chat_dialog_id)

    return _deliver(context, config, warehouse, bitrix24, alerts, "sla", run)


@dg.asset(
    key=["alerts", "morning_digests"],
    deps=[
        dg.AssetKey(["marts", name])
        for name in (
            "fct_manager_daily_deals",
            "fct_manager_daily_calls",
            "dim_departments",
            "dim_managers",
            "alert_recipients",
        )
    ],
    group_name="alerts",
    owners=["team:analytics-engineering"],
    kinds={"bitrix24", "postgres"},
    description="Each head of department's digest of their last working day (report 1 and report 2 of their "
    "department tree), once, at the start of their working day, in their language "
    "(marts.alert_recipients); the ledger is alerts.deliveries.",
)
def morning_digests(
    context: dg.AssetExecutionContext,
    config: DeliveryConfig,
    warehouse: WarehouseResource,
    bitrix24: Bitrix24Resource,
    alerts: AlertsResource,
) -> dg.MaterializeResult:
    def run(conn: Connection, client: Bitrix24Client, now: datetime) -> Outcome:
        return run_digests(
            conn, warehouse.location(), client, now, portal_time_zone(), alerts.language, alerts.dashboard_url
        )

    return _deliver(context, config, warehouse, bitrix24, alerts, "digest", run)


alert_assets = [sla_alert_deliveries, morning_digests]
