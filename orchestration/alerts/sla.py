"""SLA alerts: the due rows of ``marts.sla_alerts`` (the rule lives in dbt) into the ledger, then sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg2.extensions import connection as Connection

from orchestration.alerts import state
from orchestration.alerts.delivery import Outcome, deliver_open
from orchestration.alerts.messages import SlaAlert, sla_text
from orchestration.alerts.recipients import recipient_languages
from orchestration.bitrix24 import Bitrix24Client

KIND = "sla"

# the levels a pass can act on: those due now (enqueued) and those the ledger holds open (rendered, or
# cancelled when their request left the mart). The mart holds every untouched open request's two levels,
# 179,000 rows on the 500-manager benchmark, nearly all long past the alert look-back: not read into Python
_LISTED = """
    select alerts.request_type, alerts.request_id, alerts.alert_level, alerts.recipient_id, alerts.due_at,
           alerts.is_due, alerts.title, alerts.pending_working_minutes, alerts.threshold_working_minutes,
           managers.manager_name as responsible
    from marts.sla_alerts as alerts
    left join marts.dim_managers as managers on managers.manager_id = alerts.responsible_id
    where alerts.is_due
       or exists (
           select from alerts.deliveries as deliveries
           where deliveries.kind = %(kind)s
             and deliveries.status = any(%(open)s)
             and deliveries.request_type = alerts.request_type
             and deliveries.request_id = alerts.request_id
             and deliveries.alert_level = alerts.alert_level
       )
"""


def delivery_key(request_type: str, request_id: int, level: int) -> str:
    """The idempotency key: one delivery per request and level, ever."""
    return f"{KIND}:{request_type}:{request_id}:{level}"


def listed_alerts(conn: Connection) -> dict[str, dict[str, Any]]:
    """The alert levels due now or open in the ledger, by delivery key."""
    with conn.cursor() as cur:
        cur.execute(_LISTED, {"kind": KIND, "open": list(state.OPEN)})
        names = [c.name for c in cur.description]
        rows = [dict(zip(names, values, strict=True)) for values in cur.fetchall()]
    conn.commit()
    return {delivery_key(r["request_type"], r["request_id"], r["alert_level"]): r for r in rows}


def run_sla_alerts(
    conn: Connection,
    client: Bitrix24Client,
    now: datetime,
    default_language: str,
    chat_dialog_id: str = "",
) -> Outcome:
    """Enqueue the due alerts, then send the open ones, each in its recipient's language."""
    listed = listed_alerts(conn)
    language_of = recipient_languages(conn, default_language)
    state.enqueue(
        conn,
        [
            {"delivery_key": key, "kind": KIND, **{k: row[k] for k in _LEDGER_COLUMNS}}
            for key, row in listed.items()
            if row["is_due"]
        ],
    )

    def render(row: dict[str, Any]) -> str | None:
        alert = listed.get(row["delivery_key"])
        if alert is None:  # touched, closed or deleted since it fell due
            return None
        return sla_text(
            SlaAlert(
                alert["request_type"],
                alert["request_id"],
                alert["alert_level"],
                alert["title"],
                alert["responsible"],
                alert["pending_working_minutes"],
                alert["threshold_working_minutes"],
            ),
            language_of(row["recipient_id"]),
            client.auth.host,
        )

    return deliver_open(conn, client, KIND, render, now, chat_dialog_id)


_LEDGER_COLUMNS = ("request_type", "request_id", "alert_level", "recipient_id", "due_at")
