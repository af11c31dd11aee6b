"""The alerts as Dagster assets: after the marts, deliver what is due; the UI shows what each run sent."""

from datetime import UTC, datetime

import dagster as dg

from orchestration.alerts import state
from orchestration.alerts.delivery import Outcome
from orchestration.alerts.settings import AlertsResource
from orchestration.alerts.sla import run_sla_alerts
from orchestration.resources import Bitrix24Resource, WarehouseResource


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


@dg.asset(
    key=["alerts", "sla_alert_deliveries"],
    deps=[dg.AssetKey(["marts", "sla_alerts"])],
    group_name="alerts",
    owners=["team:analytics-engineering"],
    kinds={"bitrix24", "postgres"},
    description="SLA alerts of marts.sla_alerts sent to Bitrix24, each (request, level) once, in the "
    "recipient's working time; the ledger is alerts.deliveries.",
)
def sla_alert_deliveries(
    context: dg.AssetExecutionContext,
    config: DeliveryConfig,
    warehouse: WarehouseResource,
    bitrix24: Bitrix24Resource,
    alerts: AlertsResource,
) -> dg.MaterializeResult:
    if not alerts.enabled:
        context.log.info("alerts are off (B24_ALERTS=on switches them on): nothing recorded or sent")
        return dg.MaterializeResult(metadata={"enabled": False})
    now = config.now()
    with warehouse.connection() as conn:
        state.ensure_table(conn)
        if not state.try_lock(conn):
            raise dg.Failure(description="another alert delivery is running; this run sent nothing")
        unknown = state.orphans_to_unknown(conn, now)
        with bitrix24.client(repeat_unanswered=False) as client:
            outcome = run_sla_alerts(conn, client, now, alerts.language, alerts.chat_dialog_id)
        outcome.counts["unknown"] += unknown
        if unknown:
            outcome.errors.append(
                f"{unknown} alert(s) were claimed by a run that ended before recording the portal's answer: "
                "not re-sent (they may have arrived); see alerts.deliveries, status 'unknown'"
            )
    return _finish(context, outcome)


alert_assets = [sla_alert_deliveries]
