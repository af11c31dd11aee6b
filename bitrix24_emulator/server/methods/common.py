"""The list/get machinery every table-backed method shares."""

from __future__ import annotations

from typing import Any

from bitrix24_emulator.server.envelope import RestError, crm_error
from bitrix24_emulator.server.filters import CRM_OPS, Predicate, compile_filter
from bitrix24_emulator.server.methods import Call, Result
from bitrix24_emulator.server.paging import PAGE, Order, parse_order, project, resolve_select, select_page
from bitrix24_emulator.server.params import php_int
from bitrix24_emulator.server.tables import TableIndex


def table(call: Call, name: str) -> TableIndex:
    index = call.state.table(name)
    if index is None:
        raise RestError(500, "INTERNAL_SERVER_ERROR", f"the emulated portal has no table {name!r}")
    return index


def list_rows(
    call: Call,
    index: TableIndex,
    *,
    filter_raw: Any,
    order: Order,
    exact_offset: bool,
    select_raw: Any = None,
    select_default: tuple[str, ...] = ("*", "UF_*"),
    on_demand: frozenset[str] = frozenset(),
    allowed_ops: frozenset[str] = CRM_OPS,
    reject_unknown: bool = True,
    extra: Predicate | None = None,
    page_size: int = PAGE,
) -> Result:
    """One page of ``index`` as a list of dicts, with ``total``/``next`` per the paging rules.

    ``extra`` is a method-specific condition (e.g. activity ``BINDINGS``) ANDed to the filter.
    """
    flt = compile_filter(index, filter_raw, allowed=allowed_ops, reject_unknown=reject_unknown)
    if extra is not None:
        base = flt.predicate
        flt.predicate = extra if base is None else (lambda pos: base(pos) and extra(pos))
    start = call.params.start() if page_size == PAGE else 0
    page = select_page(
        index, flt, order, start, exact_offset=exact_offset, seed=call.seed, page_size=page_size
    )
    fields = resolve_select(index, select_raw, default=select_default, on_demand=on_demand)
    rows = [project(index, index.rows[p], fields) for p in page.positions]
    return Result(
        rows,
        total=page.total if page.total is not None else 0,
        next=page.next,
        rows=len(rows),
        scanned=page.scanned,
        counted=page.counted,
    )


def crm_list(call: Call, name: str, **options: Any) -> Result:
    """A legacy CRM ``*.list``: tolerant param names, ``start`` floored to a page boundary."""
    index = table(call, name)
    return list_rows(
        call,
        index,
        filter_raw=call.params.filter(),
        order=parse_order(index, call.params.order()),
        select_raw=call.params.select(),
        exact_offset=False,
        **options,
    )


def crm_get(call: Call, name: str) -> Result:
    """A legacy CRM ``*.get?id=``: every field of one row, 400 with an empty code when absent."""
    index = table(call, name)
    row_id = php_int(call.params.get("id", default=0))
    if row_id <= 0:
        raise crm_error("ID is not defined or invalid.")
    row = index.get(row_id)
    if row is None:
        raise crm_error("Not found")
    return Result(index.table.as_dict(row), rows=1, scanned=1)


def fields_description(index: TableIndex, read_only: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A ``*.fields`` answer derived from the table's columns and their inferred kinds."""
    kinds = {"int": "integer", "float": "double", "datetime": "datetime", "bool": "char", "str": "string"}
    out: dict[str, Any] = {}
    for name in index.fields:
        ro = name == index.table.id_field or name in read_only
        out[name] = {
            "type": kinds[index.kind(name)],
            "isRequired": False,
            "isReadOnly": ro,
            "isImmutable": False,
            "isMultiple": False,
            "isDynamic": name.startswith("UF_"),
            "title": name,
        }
    return out
