"""Send what the ledger holds: each open delivery once, in the recipient's working time.

For every open row: render its text (``None``: the request no longer qualifies → ``cancelled``); if the
recipient is not working now → ``held`` until their next working interval starts; else claim it (commit
``sending``), send one notification, record the answer. The portal's own refusal (an error answer, or
``result: false`` for an unknown or inactive recipient, docs/bitrix24-api.md § im.notify.system.add) is
``failed`` and retried by the next run; no usable answer at all is ``unknown`` and never repeated, because
the portal may have delivered it (sending is not idempotent: § im.message.add).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dagster import MetadataValue
from psycopg2.extensions import connection as Connection

from orchestration.alerts import state
from orchestration.alerts.recipients import availability
from orchestration.bitrix24 import Bitrix24Client, Bitrix24Error, Bitrix24UnreachableError

NOTIFY_METHOD = "im.notify.system.add"  # a system notification: no author, a webhook may send it
CHAT_METHOD = "im.message.add"


class RecipientRefusedError(Bitrix24Error):
    """The portal created no notification (``result: false``): unknown, fired or otherwise blocked user."""


@dataclass
class Outcome:
    """What one delivery pass did, for the run's metadata and its error message."""

    counts: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    rows: list[tuple[str, int, str]] = field(default_factory=list)  # (delivery key, recipient, new status)

    def note(self, key: str, recipient: int, status: str) -> None:
        self.counts[status] += 1
        self.rows.append((key, recipient, status))

    def metadata(self) -> dict[str, Any]:
        """Counts per status, and which message went to whom (the Dagster UI shows it on the run)."""
        table = "\n".join(f"| {key} | {recipient} | {status} |" for key, recipient, status in self.rows)
        counts: dict[str, Any] = {
            status: self.counts[status] for status in ("sent", "held", "failed", "unknown", "cancelled")
        }
        return {
            **counts,
            "deliveries": MetadataValue.md("| key | recipient | status |\n|---|---|---|\n" + table),
        }


def send(client: Bitrix24Client, recipient_id: int, text: str) -> int:
    """One system notification; the portal's notification id."""
    answer = client.call(NOTIFY_METHOD, {"USER_ID": recipient_id, "MESSAGE": text})
    if isinstance(answer.result, bool) or not isinstance(answer.result, int):
        raise RecipientRefusedError(
            f"Bitrix24 {NOTIFY_METHOD}: no notification created for user {recipient_id} "
            "(unknown, inactive or blocked recipient)",
            method=NOTIFY_METHOD,
        )
    return answer.result


def copy_to_chat(
    conn: Connection,
    client: Bitrix24Client,
    chat_dialog_id: str,
    key: str,
    text: str,
    now: datetime,
    outcome: Outcome,
) -> None:
    """The optional chat copy, after the notification went out: its failure is reported, never a reason to
    send the notification again (the row stays ``sent``). A chat that refused it (an error answer, e.g.
    ``ACCESS_ERROR``: § im.message.add) gets it again from the next pass; no answer at all is not retried
    (the post may have arrived)."""
    try:
        client.call(CHAT_METHOD, {"DIALOG_ID": chat_dialog_id, "MESSAGE": text})
    except Bitrix24UnreachableError as exc:
        error = f"chat copy to {chat_dialog_id} not confirmed: {exc} — not re-posted (it may have arrived)"
        state.update(conn, key, now, last_error=error)
    except Bitrix24Error as exc:
        error = f"chat copy to {chat_dialog_id} not posted: {exc} — the next run retries"
        state.update(conn, key, now, last_error=error, chat_pending=True)
    else:
        return
    outcome.errors.append(f"{key}: {error}")


def retry_chat_copies(
    conn: Connection, client: Bitrix24Client, kind: str, chat_dialog_id: str, now: datetime, outcome: Outcome
) -> None:
    """Post again the chat copies a chat refused in an earlier pass (each claimed first)."""
    for key, _recipient, text in state.pending_chat_copies(conn, kind):
        if chat_dialog_id and state.claim_chat_copy(conn, key, now):
            copy_to_chat(conn, client, chat_dialog_id, key, text, now, outcome)


def deliver_open(
    conn: Connection,
    client: Bitrix24Client,
    kind: str,
    render: Callable[[dict[str, Any]], str | None],
    now: datetime,
    chat_dialog_id: str = "",
) -> Outcome:
    """One pass over the open ``kind`` rows of the ledger (the caller holds the delivery lock)."""
    outcome = Outcome()
    retry_chat_copies(conn, client, kind, chat_dialog_id, now, outcome)
    for row in state.open_deliveries(conn, kind):
        key, recipient = row["delivery_key"], row["recipient_id"]
        text = render(row)
        if text is None:
            state.update(conn, key, now, status="cancelled")
            outcome.note(key, recipient, "cancelled")
            continue
        free = availability(conn, recipient, now)
        if not free.known:
            error = f"{key}: user {recipient} has no working calendar in the warehouse (not an employee?)"
            state.update(conn, key, now, status="failed", last_error=error)
            outcome.note(key, recipient, "failed")
            outcome.errors.append(error)
            continue
        if not free.working:
            state.update(conn, key, now, status="held", deliver_after=free.next_start)
            outcome.note(key, recipient, "held")
            continue
        if not state.claim(conn, key, text, now):
            continue
        try:
            portal_id = send(client, recipient, text)
        except Bitrix24UnreachableError as exc:
            state.update(conn, key, now, status="unknown", last_error=str(exc))
            outcome.note(key, recipient, "unknown")
            outcome.errors.append(f"{key}: {exc} — not re-sent (it may have arrived)")
        except Bitrix24Error as exc:
            state.update(conn, key, now, status="failed", last_error=str(exc))
            outcome.note(key, recipient, "failed")
            outcome.errors.append(f"{key}: {exc} — the next run retries")
        else:
            state.update(conn, key, now, status="sent", sent_at=now, portal_message_id=portal_id)
            outcome.note(key, recipient, "sent")
            if chat_dialog_id:
                copy_to_chat(conn, client, chat_dialog_id, key, text, now, outcome)
    return outcome
