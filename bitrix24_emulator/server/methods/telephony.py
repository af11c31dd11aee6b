"""``voximplant.statistic.get``: ``FILTER``/``SORT``/``ORDER``, exact offsets, lenient filter.

Facts: docs/bitrix24-api.md § voximplant.statistic.get.
"""

from __future__ import annotations

from bitrix24_emulator.server.filters import VOXIMPLANT_OPS
from bitrix24_emulator.server.methods import Call, Result, rest_method
from bitrix24_emulator.server.methods.common import list_rows, table


@rest_method("voximplant.statistic.get")
def statistic_get(call: Call) -> Result:
    """ORM method: ``start`` is an exact offset; sort applies only when both SORT and ORDER are given and
    ORDER is exactly ``ASC`` or ``DESC`` (docs/bitrix24-api.md, "voximplant.statistic.get")."""
    index = table(call, "calls")
    sort, direction = call.params.get("sort"), call.params.get("order")
    valid = isinstance(sort, str) and isinstance(direction, str) and direction.strip() in ("ASC", "DESC")
    field = index.field(sort.strip()) if valid else None
    order = [(field, direction.strip() == "DESC")] if field else []
    return list_rows(
        call,
        index,
        filter_raw=call.params.filter(),
        order=order,
        select_default=("*", "UF_*"),
        exact_offset=True,
        allowed_ops=VOXIMPLANT_OPS,
        reject_unknown=False,
    )
