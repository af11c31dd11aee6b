"""CRM methods: deals, leads, activities, stage history, pipelines, statuses, comments.

Facts: docs/bitrix24-api.md § crm.deal.list, § crm.lead.list, § crm.activity.list, § crm.stagehistory.list,
§ crm.category.list, § crm.status.list, § crm.timeline.comment.list.
"""

from __future__ import annotations

from typing import Any

from bitrix24_emulator.server.envelope import crm_error
from bitrix24_emulator.server.filters import Predicate
from bitrix24_emulator.server.methods import Call, Result, rest_method
from bitrix24_emulator.server.methods.common import crm_get, crm_list, fields_description, list_rows, table
from bitrix24_emulator.server.paging import Order, parse_order
from bitrix24_emulator.server.params import as_list, php_int
from bitrix24_emulator.server.tables import TableIndex

DEAL_ON_DEMAND = frozenset({"CONTACT_IDS", "PHONE", "EMAIL", "WEB", "IM"})
LEAD_ON_DEMAND = frozenset({"PHONE", "EMAIL", "WEB", "IM"})  # multiple fields: only when named
ACTIVITY_ON_DEMAND = frozenset({"COMMUNICATIONS", "FILES", "WEBDAV_ELEMENTS", "BINDINGS"})
DEAL_READ_ONLY = frozenset(
    {
        "STAGE_SEMANTIC_ID",
        "IS_NEW",
        "QUOTE_ID",
        "CREATED_BY_ID",
        "MODIFY_BY_ID",
        "MOVED_BY_ID",
        "DATE_CREATE",
        "DATE_MODIFY",
        "MOVED_TIME",
        "LEAD_ID",
        "LAST_ACTIVITY_TIME",
        "LAST_ACTIVITY_BY",
    }
)
ACTIVITY_READ_ONLY = frozenset({"ASSOCIATED_ENTITY_ID", "CREATED", "AUTHOR_ID", "LAST_UPDATED", "EDITOR_ID"})


@rest_method("crm.deal.list")
def deal_list(call: Call) -> Result:
    return crm_list(call, "deals", on_demand=DEAL_ON_DEMAND)


@rest_method("crm.lead.list")
def lead_list(call: Call) -> Result:
    """The same legacy list as deals. A portal generated without leads (``lead_share`` 0) has no lead table
    and answers an empty list, as a portal whose leads were never used."""
    if call.state.table("leads") is None:
        return Result([], total=0)
    return crm_list(call, "leads", on_demand=LEAD_ON_DEMAND)


@rest_method("crm.deal.get")
def deal_get(call: Call) -> Result:
    return crm_get(call, "deals")


@rest_method("crm.deal.fields")
def deal_fields(call: Call) -> Result:
    return Result(fields_description(table(call, "deals"), DEAL_READ_ONLY))


def _bindings(index: TableIndex, raw: Any) -> Predicate | None:
    """``BINDINGS`` filter: any of ``[{OWNER_TYPE_ID, OWNER_ID}]`` matches the activity's owner binding."""
    pairs = set()
    for item in as_list(raw):
        if isinstance(item, dict):
            upper = {str(k).upper(): v for k, v in item.items()}
            pairs.add((php_int(upper.get("OWNER_TYPE_ID")), php_int(upper.get("OWNER_ID"))))
    type_pos, id_pos = index.table.index_of("OWNER_TYPE_ID"), index.table.index_of("OWNER_ID")
    extra_pos = index.table.index_of("BINDINGS") if index.field("BINDINGS") else None
    rows = index.rows

    def bound(pos: int) -> bool:
        row = rows[pos]
        if (php_int(row[type_pos]), php_int(row[id_pos])) in pairs:
            return True
        if extra_pos is None:
            return False
        return any(
            (php_int(b.get("OWNER_TYPE_ID")), php_int(b.get("OWNER_ID"))) in pairs
            for b in as_list(row[extra_pos])
            if isinstance(b, dict)
        )

    return bound


@rest_method("crm.activity.list")
def activity_list(call: Call) -> Result:
    index = table(call, "activities")
    raw = call.params.filter()
    flt = dict(raw) if isinstance(raw, dict) else raw
    extra = None
    if isinstance(flt, dict):
        key = next((k for k in flt if k.upper() == "BINDINGS"), None)
        if key is not None:
            extra = _bindings(index, flt.pop(key))
    order = parse_order(index, call.params.order())
    if not order and index.field("START_TIME"):
        order = [("START_TIME", False)]  # documented default; ties stay unordered
    return list_rows(
        call,
        index,
        filter_raw=flt,
        order=order,
        select_raw=call.params.select(),
        exact_offset=False,
        on_demand=ACTIVITY_ON_DEMAND,
        extra=extra,
    )


@rest_method("crm.activity.get")
def activity_get(call: Call) -> Result:
    return crm_get(call, "activities")


@rest_method("crm.activity.fields")
def activity_fields(call: Call) -> Result:
    return Result(fields_description(table(call, "activities"), ACTIVITY_READ_ONLY))


_HISTORY_TABLES = {1: "lead_stage_history", 2: "stage_history"}


@rest_method("crm.stagehistory.list")
def stagehistory_list(call: Call) -> Result:
    """Controller method: rows under ``result.items``, ``start`` floored. Deals (2) and leads (1, their own
    table and ID sequence: docs/bitrix24-api.md § crm.stagehistory.list — leads); other types answer empty."""
    entity_type = php_int(call.params.get("entityTypeId", default=0))
    if entity_type <= 0:
        raise crm_error("entityTypeId is required")
    found = call.state.table(_HISTORY_TABLES[entity_type]) if entity_type in _HISTORY_TABLES else None
    if found is None:
        return Result({"items": []}, total=0)
    index = found
    result = list_rows(
        call,
        index,
        filter_raw=call.params.filter(),
        order=parse_order(index, call.params.order()),
        select_raw=call.params.select(),
        select_default=("*",),
        exact_offset=False,
    )
    result.result = {"items": result.result}
    return result


_CATEGORY_ORIGIN = frozenset({"originId", "originatorId"})


@rest_method("crm.category.list")
def category_list(call: Call) -> Result:
    """Deal pipelines under ``result.categories``; ``total`` = number of pipelines, no paging."""
    if php_int(call.params.get("entityTypeId", default=0)) != 2:
        return Result({"categories": []}, total=0)
    index = table(call, "categories")
    # the default pipeline has no originId / originatorId keys at all
    rows = [
        {k: v for k, v in index.table.as_dict(r).items() if v is not None or k not in _CATEGORY_ORIGIN}
        for r in index.rows
    ]
    return Result({"categories": rows}, total=len(rows), rows=len(rows), scanned=len(rows))


@rest_method("crm.status.list")
def status_list(call: Call) -> Result:
    """Unpaged: every matching status in one answer (the source passes no navigation)."""
    index = table(call, "statuses")
    return list_rows(
        call,
        index,
        filter_raw=call.params.filter(),
        order=parse_order(index, call.params.order()) or [(index.table.id_field, False)],
        select_default=("*",),
        exact_offset=False,
        page_size=len(index.rows) + 1,
    )


# The vendor's crm.timeline.comment.list sorts by these keys only, spelled exactly, and reads the direction
# as DESC only when it is exactly "DESC"; the entity type must resolve to a CRM type, or the permission check
# fails (docs/bitrix24-api.md, "crm.timeline.comment.list").
_COMMENT_ORDER_FIELDS = ("ID", "CREATED", "AUTHOR_ID")
_COMMENT_OWNER_TYPES = frozenset({"LEAD", "DEAL", "CONTACT", "COMPANY", "QUOTE", "INVOICE"})


def _comment_order(raw: Any) -> Order:
    if not isinstance(raw, dict):
        return []
    return [(name, raw[name] == "DESC") for name in raw if name in _COMMENT_ORDER_FIELDS]


@rest_method("crm.timeline.comment.list")
def timeline_comment_list(call: Call) -> Result:
    """Comments of one entity. By default as the vendor's code: the filter keys ``ENTITY_ID`` and
    ``ENTITY_TYPE`` (spelled exactly) choose the entity and every other filter key is ignored."""
    raw = call.params.filter()
    flt: dict[str, Any] = dict(raw) if isinstance(raw, dict) else {}
    index = table(call, "timeline_comments")
    entity_keys = ("ENTITY_ID", "ENTITY_TYPE")
    if call.options.comment_list_full_filter:
        upper = {str(k).upper(): v for k, v in flt.items()}
        entity_id, entity_type = upper.get("ENTITY_ID"), upper.get("ENTITY_TYPE")
        other = {k: v for k, v in flt.items() if str(k).upper() not in entity_keys}
        order = parse_order(index, call.params.order())
    else:
        entity_id, entity_type = flt.get("ENTITY_ID"), flt.get("ENTITY_TYPE")
        other, order = {}, _comment_order(call.params.order())
    if str(entity_type or "").upper() not in _COMMENT_OWNER_TYPES:
        raise crm_error("Access denied.")
    return list_rows(
        call,
        index,
        filter_raw={**other, "ENTITY_ID": php_int(entity_id), "ENTITY_TYPE": entity_type},
        order=order,
        select_raw=call.params.select(),
        select_default=("*",),
        exact_offset=False,
    )
