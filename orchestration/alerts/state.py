"""The delivery ledger ``alerts.deliveries``: one row per message the product means to send, keyed by an
idempotency key, moved through its states by single-row updates that each commit on their own.

    pending, held (the recipient is not working; deliver_after = their next working start), failed
        → sending (claimed, committed before the request leaves)
            → sent | failed (the portal refused: the next run retries) | unknown (no answer: never re-sent)
    pending, held, failed → cancelled (the request was touched or closed meanwhile)

A ``sent`` row whose chat copy the chat refused has ``chat_pending``; each pass claims it (clears the flag,
committed) before posting again, and sets it back only on another refusal: at most once there too.

``sending`` is committed *before* the request leaves (claim-then-send). A run that dies after the claim
leaves the row in ``sending``; the next run, holding the lock, marks it ``unknown`` and does not send it
again: at most once (docs/decisions.md, "Alerts: at most once").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg2.extensions import connection as Connection

DDL = """
create schema if not exists alerts;
create table if not exists alerts.deliveries (
    delivery_key text primary key,          -- idempotency key: sla:deal:<id>:<level>, digest:<day>:<head>
    kind text not null,                     -- sla | digest
    request_type text,                      -- deal (lead later); NULL for a digest
    request_id bigint,
    alert_level int,
    recipient_id bigint not null,           -- Bitrix24 user id
    due_at timestamptz not null,            -- when the rule made it due
    deliver_after timestamptz,              -- held: the recipient's next working start
    status text not null check (status in
        ('pending', 'held', 'sending', 'sent', 'failed', 'unknown', 'cancelled')),
    attempts int not null default 0,
    message text,                           -- what was (or is being) sent
    portal_message_id bigint,               -- the portal's notification id
    last_error text,
    claimed_at timestamptz,
    sent_at timestamptz,
    updated_at timestamptz not null default now()
);
create index if not exists deliveries_open on alerts.deliveries (status) where status in
    ('pending', 'held', 'failed', 'sending');
-- the chat copy of a sent message that the chat refused: the next pass posts it again (ledgers made before
-- the column existed get it here)
alter table alerts.deliveries add column if not exists chat_pending boolean not null default false;
"""

# one delivery pass per kind at a time: a session lock, released when the connection closes (or dies)
LOCK_KEYS = {"sla": 7_316_001, "digest": 7_316_002}
OPEN = ("pending", "held", "failed")


def ensure_table(conn: Connection) -> None:
    with conn.cursor() as cur:
        cur.execute(DDL)
    conn.commit()


def try_lock(conn: Connection, kind: str) -> bool:
    with conn.cursor() as cur:
        cur.execute("select pg_try_advisory_lock(%s)", (LOCK_KEYS[kind],))
        (locked,) = cur.fetchone()
    conn.commit()
    return bool(locked)


def orphans_to_unknown(conn: Connection, now: datetime, kind: str) -> int:
    """Rows of ``kind`` a dead run claimed (the caller holds the kind's lock): the request may have reached
    the portal, so they are not sent again."""
    with conn.cursor() as cur:
        cur.execute(
            """update alerts.deliveries
               set status = 'unknown', updated_at = %s,
                   last_error = 'the run that claimed it ended before recording the answer; not re-sent'
               where status = 'sending' and kind = %s""",
            (now, kind),
        )
        count = cur.rowcount
    conn.commit()
    return count


def enqueue(conn: Connection, rows: list[dict[str, Any]]) -> int:
    """Insert due deliveries that are not in the ledger yet (a re-run inserts nothing)."""
    inserted = 0
    with conn.cursor() as cur:
        for row in rows:
            cur.execute(
                """insert into alerts.deliveries
                       (delivery_key, kind, request_type, request_id, alert_level, recipient_id, due_at,
                        status)
                   values (%(delivery_key)s, %(kind)s, %(request_type)s, %(request_id)s, %(alert_level)s,
                           %(recipient_id)s, %(due_at)s, 'pending')
                   on conflict (delivery_key) do nothing""",
                row,
            )
            inserted += cur.rowcount
    conn.commit()
    return inserted


def open_deliveries(conn: Connection, kind: str) -> list[dict[str, Any]]:
    with conn.cursor() as cur:
        cur.execute(
            """select delivery_key, request_type, request_id, alert_level, recipient_id, due_at, status
               from alerts.deliveries where kind = %s and status in %s order by due_at, delivery_key""",
            (kind, OPEN),
        )
        names = [c.name for c in cur.description]
        rows = [dict(zip(names, values, strict=True)) for values in cur.fetchall()]
    conn.commit()
    return rows


def update(conn: Connection, key: str, now: datetime, **fields: Any) -> None:
    assignments = ", ".join(f"{name} = %({name})s" for name in fields)
    with conn.cursor() as cur:
        cur.execute(
            f"update alerts.deliveries set {assignments}, updated_at = %(now)s where delivery_key = %(key)s",
            {**fields, "now": now, "key": key},
        )
    conn.commit()


def claim(conn: Connection, key: str, message: str, now: datetime) -> bool:
    """Mark the row ``sending`` and commit — only if it is still open (a second claim gets nothing)."""
    with conn.cursor() as cur:
        cur.execute(
            """update alerts.deliveries
               set status = 'sending', attempts = attempts + 1, claimed_at = %s, message = %s, updated_at = %s
               where delivery_key = %s and status in %s""",
            (now, message, now, key, OPEN),
        )
        claimed = cur.rowcount == 1
    conn.commit()
    return claimed


def pending_chat_copies(conn: Connection, kind: str) -> list[tuple[str, int, str]]:
    """(key, recipient, message) of the sent ``kind`` rows whose chat copy is still to be posted."""
    with conn.cursor() as cur:
        cur.execute(
            """select delivery_key, recipient_id, message from alerts.deliveries
               where kind = %s and status = 'sent' and chat_pending order by sent_at, delivery_key""",
            (kind,),
        )
        rows = [(key, int(recipient), message) for key, recipient, message in cur.fetchall()]
    conn.commit()
    return rows


def claim_chat_copy(conn: Connection, key: str, now: datetime) -> bool:
    """Clear ``chat_pending`` and commit before the copy is posted again (a second claim gets nothing)."""
    with conn.cursor() as cur:
        cur.execute(
            """update alerts.deliveries set chat_pending = false, updated_at = %s
               where delivery_key = %s and chat_pending""",
            (now, key),
        )
        claimed = cur.rowcount == 1
    conn.commit()
    return claimed
