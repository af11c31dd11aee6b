"""``user.get`` and ``department.get`` (docs/bitrix24-api.md, "user.get" and "department.get")."""

from __future__ import annotations

from typing import Any

from bitrix24_emulator.server.envelope import PhpObject
from bitrix24_emulator.server.filters import Predicate, split_key
from bitrix24_emulator.server.methods import Call, Result, rest_method
from bitrix24_emulator.server.methods.common import list_rows, table
from bitrix24_emulator.server.paging import Order
from bitrix24_emulator.server.params import Params, as_list, php_int
from bitrix24_emulator.server.tables import TableIndex

_USER_CONTROL = {"sort", "order", "filter", "select", "start", "admin_mode", "image_resize", "auth"}


def _scalar_order(index: TableIndex, params: Params) -> Order:
    """``sort=<FIELD>&order=ASC|DESC``, keys and field name in any case: one field, as user.get and
    department.get take it (department.get's default is the tree order)."""
    field = index.field(str(params.get("sort", default="")))
    if field is None:
        return []
    return [(field, str(params.get("order", default="ASC")).upper() == "DESC")]


def _top_level_filter(index: TableIndex, params: Params) -> dict[str, Any]:
    """Filter keys given as top-level parameters: user.get's filter when there is no FILTER array."""
    return {
        key: value
        for key, value in params.raw.items()
        if key.lower() not in _USER_CONTROL and index.field(split_key(key)[1]) is not None
    }


# user.get never lists bots, e-mail, open-channel or replica users: the vendor query adds REAL_USER
# (docs/bitrix24-api.md § user.get). The portal's tables keep them (their activities name them as authors).
HIDDEN_USER_TYPES = frozenset({"bot", "email", "imconnector", "replica"})
# Date fields the vendor answers as a date *object*, JSON-encoded as {} (docs/bitrix24-api.md § user.get).
_DATE_OBJECT_FIELDS = ("TIMESTAMP_X", "LAST_ACTIVITY_DATE")


def _user_conditions(index: TableIndex, flt: dict[str, Any]) -> Predicate | None:
    """The conditions the generic filter cannot express: real users only, and ``UF_DEPARTMENT`` (any of)."""
    rows = index.rows
    conditions: list[Predicate] = []
    if index.field("USER_TYPE"):
        type_pos = index.table.index_of("USER_TYPE")
        conditions.append(lambda p: rows[p][type_pos] not in HIDDEN_USER_TYPES)
    departments = next((flt.pop(k) for k in list(flt) if k.upper() == "UF_DEPARTMENT"), None)
    if departments is not None and index.field("UF_DEPARTMENT"):
        wanted = {int(d) for d in as_list(departments) if str(d).lstrip("-").isdigit()}
        dep_pos = index.table.index_of("UF_DEPARTMENT")
        conditions.append(lambda p: bool(wanted.intersection(int(d) for d in as_list(rows[p][dep_pos]))))
    if not conditions:
        return None
    return lambda p: all(condition(p) for condition in conditions)


@rest_method("user.get")
def user_get(call: Call) -> Result:
    index = table(call, "users")
    raw = call.params.filter()
    # A FILTER array replaces the top-level keys as the filter (vendor: rest module, User::userGet), so a
    # top-level field next to a FILTER filters nothing (docs/bitrix24-api.md, "user.get").
    flt: dict[str, Any] = dict(raw) if isinstance(raw, dict) else _top_level_filter(index, call.params)
    extra = _user_conditions(index, flt)
    result = list_rows(
        call,
        index,
        filter_raw=flt,
        order=_scalar_order(index, call.params),
        select_raw=call.params.select(),
        exact_offset=True,
        extra=extra,
    )
    for row in result.result:
        for field in _DATE_OBJECT_FIELDS:
            if row.get(field):
                row[field] = PhpObject()
    return result


# department.get copies these top-level keys into its filter *as spelled* (case-sensitive), converting the
# numeric ones with PHP's intval: an upper-case ``SORT`` is therefore a filter on the sort index as well as
# the sort field (vendor source: intranet CIntranetRestService::prepareDeptData / prepareSort).
_DEPARTMENT_FILTER_KEYS = ("ID", "NAME", "SORT", "PARENT", "UF_HEAD")
_DEPARTMENT_INT_KEYS = frozenset({"ID", "SORT", "PARENT", "UF_HEAD"})


def _department_filter(params: Params) -> dict[str, Any]:
    flt: dict[str, Any] = {}
    for key in _DEPARTMENT_FILTER_KEYS:
        if key not in params.raw:
            continue
        value = params.raw[key]
        if key in _DEPARTMENT_INT_KEYS:
            value = [php_int(v) for v in value] if isinstance(value, list) else php_int(value)
        flt[key] = value
    return flt


@rest_method("department.get")
def department_get(call: Call) -> Result:
    index = table(call, "departments")
    result = list_rows(
        call,
        index,
        filter_raw=_department_filter(call.params),
        order=_scalar_order(index, call.params),
        exact_offset=False,
    )
    # PARENT is absent on the root and UF_HEAD when no head is set, rather than null.
    result.result = [
        {k: v for k, v in row.items() if v is not None or k not in ("PARENT", "UF_HEAD")}
        for row in result.result
    ]
    return result
