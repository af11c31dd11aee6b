"""``calendar.settings.get`` and ``calendar.accessibility.get`` (absence-chart entries).

Facts: docs/bitrix24-api.md § calendar.settings.get, § calendar.accessibility.get.

Absence rows are expected to carry the owner in ``USER_ID`` and the interval as unix ``FROM``/``TO``
(the wire entry also has ``DT_FROM``/``DT_TO`` in portal format); ``USER_ID`` is not part of the answer.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from bitrix24_emulator.server.envelope import RestError
from bitrix24_emulator.server.methods import Call, Result, rest_method
from bitrix24_emulator.server.methods.common import table
from bitrix24_emulator.server.params import as_list, php_int


@rest_method("calendar.settings.get")
def settings_get(call: Call) -> Result:
    return Result(dict(call.state.portal.calendar_settings))


def _day(value: Any, name: str) -> date:
    try:
        text = str(value).strip()
        return datetime.strptime(text, "%d.%m.%Y").date() if "." in text else date.fromisoformat(text[:10])
    except ValueError as exc:
        raise RestError(400, "INVALID_ARG_VALUE", f"Invalid value of '{name}'") from exc


@rest_method("calendar.accessibility.get")
def accessibility_get(call: Call) -> Result:
    users = [php_int(u) for u in as_list(call.params.get("users"))]
    if not users:
        raise RestError(400, "INVALID_ARG_VALUE", "Parameter 'users' is required")
    zone = call.state.zone
    start = datetime.combine(_day(call.params.get("from"), "from"), time.min, zone).timestamp()
    end = datetime.combine(_day(call.params.get("to"), "to") + timedelta(days=1), time.min, zone).timestamp()
    index = table(call, "absences")
    fields = index.fields
    user_pos, from_pos, to_pos = (index.table.index_of(f) for f in ("USER_ID", "FROM", "TO"))
    out: dict[str, list[dict[str, Any]]] = {str(u): [] for u in users}
    for row in index.rows:
        key = str(php_int(row[user_pos]))
        if key in out and php_int(row[from_pos]) < end and php_int(row[to_pos]) >= start:
            out[key].append({f: v for f, v in zip(fields, row, strict=True) if f != "USER_ID"})
    return Result(out, rows=sum(len(v) for v in out.values()), scanned=len(index.rows))
