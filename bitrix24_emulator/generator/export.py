"""Ground-truth export and the determinism fingerprint.

``write_truth(portal, directory)`` writes, for end-to-end tests and the working-time oracle:

* ``deal_truth.csv`` — ``deal_id, responsible_id, created_at, first_touch_at, first_touch_kind,
  first_touch_by`` (ISO-8601 with the portal offset; the last three empty while untouched);
* ``request_truth.csv`` — ``lead_id, deal_id, responsible_id, started_at, first_touch_at, first_touch_kind,
  first_touch_by``: one row per request chain (a lead with its deal, a lead alone, a deal without a lead);
* ``users.csv`` — ``user_id, user_type, active, time_zone`` (IANA, already resolved: '' → portal zone),
  ``department_id``;
* ``schedules.csv`` — ``user_id, kind, start, end, cycle, anchor, honours_portal_calendar`` (see README);
* ``absences.csv`` — ``user_id, absence_id, starts_at, ends_at``: the absence-chart entries resolved to
  half-open UTC intervals by the README rule (a date-only ``DT_TO`` covers that whole day);
* ``portal.json`` — seed, portal time zone, snapshot instant and the ``calendar.settings.get`` result.
"""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bitrix24_emulator.model import PortalData


def write_truth(portal: PortalData, path: str | Path) -> list[Path]:
    """Write the truth files into directory ``path`` (created if missing); return their paths."""
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    written = [
        _csv(
            out / "deal_truth.csv",
            (
                "deal_id",
                "responsible_id",
                "created_at",
                "first_touch_at",
                "first_touch_kind",
                "first_touch_by",
            ),
            (
                (
                    t.deal_id,
                    t.responsible_id,
                    t.created_at,
                    t.first_touch_at or "",
                    t.first_touch_kind or "",
                    "" if t.first_touch_by is None else t.first_touch_by,
                )
                for t in portal.truth
            ),
        ),
        _csv(
            out / "request_truth.csv",
            (
                "lead_id",
                "deal_id",
                "responsible_id",
                "started_at",
                "first_touch_at",
                "first_touch_kind",
                "first_touch_by",
            ),
            (
                (
                    "" if t.lead_id is None else t.lead_id,
                    "" if t.deal_id is None else t.deal_id,
                    t.responsible_id,
                    t.started_at,
                    t.first_touch_at or "",
                    t.first_touch_kind or "",
                    "" if t.first_touch_by is None else t.first_touch_by,
                )
                for t in portal.requests
            ),
        ),
        _csv(
            out / "users.csv",
            ("user_id", "user_type", "active", "time_zone", "department_id"),
            _users(portal),
        ),
        _csv(
            out / "schedules.csv",
            ("user_id", "kind", "start", "end", "cycle", "anchor", "honours_portal_calendar"),
            (
                (*row[:4], row[4] or "", row[5] or "", str(row[6]).lower())
                for row in portal.tables["work_schedules"].rows
            ),
        ),
        _csv(out / "absences.csv", ("user_id", "absence_id", "starts_at", "ends_at"), _absences(portal)),
    ]
    meta = out / "portal.json"
    meta.write_text(
        json.dumps(
            {
                "seed": portal.seed,
                "portal_time_zone": portal.portal_time_zone,
                "snapshot_at": portal.snapshot_at,
                "calendar_settings": portal.calendar_settings,
            },
            ensure_ascii=False,
            indent=2,
            sort_keys=True,
        )
        + "\n",
        encoding="utf-8",
    )
    return [*written, meta]


def _csv(path: Path, header: tuple[str, ...], rows: object) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)  # type: ignore[arg-type]
    return path


def _users(portal: PortalData) -> list[tuple[object, ...]]:
    users = portal.tables["users"]
    i_id, i_type, i_active, i_tz, i_dep = (
        users.index_of(f) for f in ("ID", "USER_TYPE", "ACTIVE", "TIME_ZONE", "UF_DEPARTMENT")
    )
    return [
        (
            int(r[i_id]),
            r[i_type],
            str(r[i_active]).lower(),
            r[i_tz] or portal.portal_time_zone,
            r[i_dep][0] if r[i_dep] else "",
        )
        for r in users.rows
    ]


def absence_interval(dt_from: str, dt_to: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Half-open UTC interval of one absence-chart entry; a date-only ``DT_TO`` includes that whole day."""
    start = datetime.strptime(dt_from, "%d.%m.%Y %H:%M:%S" if " " in dt_from else "%d.%m.%Y")
    if " " in dt_to:
        end = datetime.strptime(dt_to, "%d.%m.%Y %H:%M:%S")
    else:
        end = datetime.strptime(dt_to, "%d.%m.%Y") + timedelta(days=1)
    return start.replace(tzinfo=zone).astimezone(UTC), end.replace(tzinfo=zone).astimezone(UTC)


def _absences(portal: PortalData) -> list[tuple[object, ...]]:
    zone = ZoneInfo(portal.portal_time_zone)
    table = portal.tables["absences"]
    i_user, i_id, i_from, i_to = (table.index_of(f) for f in ("USER_ID", "ID", "DT_FROM", "DT_TO"))
    out = []
    for r in table.rows:
        start, end = absence_interval(r[i_from], r[i_to], zone)
        out.append((r[i_user], r[i_id], start.isoformat(), end.isoformat()))
    return out


def portal_fingerprint(portal: PortalData) -> str:
    """sha256 over every table (name, fields, rows), the settings, the snapshot instant and the truth."""
    digest = hashlib.sha256()
    digest.update(
        json.dumps([portal.portal_time_zone, portal.snapshot_at, portal.calendar_settings]).encode()
    )
    for name in sorted(portal.tables):
        table = portal.tables[name]
        digest.update(json.dumps([name, table.id_field, table.fields]).encode())
        for row in table.rows:
            digest.update(json.dumps(row, ensure_ascii=False, default=str).encode())
    for truth in portal.truth:
        digest.update(repr(truth).encode())
    return digest.hexdigest()
