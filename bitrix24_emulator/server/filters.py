"""``filter`` parameters: key prefixes (docs/bitrix24-api.md § Filters) compiled into a row predicate.

Legacy CRM and user lists know ``=``, ``!``/``!=``, ``>``, ``>=``, ``<``, ``<=``, ``@``, ``!@``, ``%``,
``=%``/``%=``, ``!%``, ``!=%``/``!%=``; ``voximplant.statistic.get`` adds ``><``, ``!><`` and ``?`` and
silently drops operators it does not know, while the CRM sanitiser rejects them. An array value
means IN (NOT IN after ``!``). A condition on the ID column also narrows the scanned range by bisect,
which is what makes keyset pages over 10^6 rows cost milliseconds; an equality on another column (e.g.
the ``ENTITY_ID`` every ``crm.timeline.comment.list`` call carries) looks its rows up in a hash index
instead of testing every row — the same rows, and the same scanned-row count the cost model charges.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bitrix24_emulator.server.envelope import RestError
from bitrix24_emulator.server.params import as_list
from bitrix24_emulator.server.tables import TableIndex
from bitrix24_emulator.server.values import STR, coerce

CRM_OPS = frozenset(
    {"", "=", "!", "!=", ">", ">=", "<", "<=", "@", "!@", "%", "=%", "%=", "!%", "!=%", "!%="}
)
VOXIMPLANT_OPS = frozenset({"", "=", "!", "!=", ">", ">=", "<", "<=", "><", "!><", "?", "%", "!%", "@", "!@"})

_KEY = re.compile(r"^([!=<>@%?]*)(.*)$")

Predicate = Callable[[int], bool]


@dataclass
class CompiledFilter:
    """A predicate over row positions and the position range ``[lo, hi)`` the ID conditions allow."""

    predicate: Predicate | None
    lo: int
    hi: int
    candidates: list[int] | None = None
    """Ascending positions holding every row the predicate can accept (None: any row may)."""


def split_key(key: str) -> tuple[str, str]:
    """``'>=DATE_MODIFY'`` → ``('>=', 'DATE_MODIFY')``."""
    match = _KEY.match(str(key))
    assert match is not None
    return match.group(1), match.group(2)


def _like_regex(pattern: str, explicit: bool) -> re.Pattern[str]:
    if not explicit:
        return re.compile(re.escape(pattern), re.IGNORECASE)
    body = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL)


def _fold(value: Any, fold: bool) -> Any:
    return value.lower() if fold and isinstance(value, str) else value


def _condition(index: TableIndex, field: str, op: str, value: Any) -> Predicate:
    kind, zone = index.kind(field), index.zone
    column = index.column(field)
    raw_pos = index.table.index_of(field)
    rows = index.rows
    negate = op.startswith("!")
    base = op[1:] if negate else op
    if base in ("%", "=%", "%=", "?"):
        regexes = [_like_regex(str(v), explicit=base in ("=%", "%=")) for v in as_list(value)]

        def like(pos: int) -> bool:
            text = rows[pos][raw_pos]
            hit = text is not None and any(r.search(str(text)) for r in regexes)
            return hit != negate

        return like
    if base == "><":
        bounds = [coerce(v, kind, zone) for v in as_list(value)][:2]
        if len(bounds) != 2 or None in bounds:
            return lambda pos: False
        low, high = bounds

        def between(pos: int) -> bool:
            v = column[pos]
            return v is not None and (low <= v <= high) != negate

        return between
    if base in ("", "=", "@"):
        wanted, wants_null, fold = _wanted(index, field, base, value)

        def member(pos: int) -> bool:
            v = column[pos]
            hit = (_fold(v, fold) in wanted) or (wants_null and v in (None, ""))
            return hit != negate

        return member
    operand = coerce(value, kind, zone)
    if operand is None:
        return lambda pos: False
    compare: Callable[[Any, Any], bool] = {
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
    }[base]

    def ordered(pos: int) -> bool:
        v = column[pos]
        try:
            return v is not None and compare(v, operand)
        except TypeError:
            return False

    return ordered


def _wanted(index: TableIndex, field: str, base: str, value: Any) -> tuple[set[Any], bool, bool]:
    """An equality/IN condition's values as the column holds them, whether it also wants empty, folding."""
    kind = index.kind(field)
    values = as_list(value) if isinstance(value, list | dict) or base == "@" else [value]
    fold = kind == STR  # MySQL's default collations compare strings case-insensitively
    wanted = {_fold(coerce(v, kind, index.zone), fold) for v in values if v not in (None, "")}
    wants_null = any(v in (None, "") for v in values) and base != "@"
    return wanted, wants_null, fold


def _lookup_keys(
    index: TableIndex, field: str, op: str, value: Any
) -> tuple[dict[Any, list[int]], list[Any]] | None:
    """The column's hash index and the keys an equality/IN condition accepts; None for other operators."""
    if op not in ("", "=", "@"):
        return None
    wanted, wants_null, fold = _wanted(index, field, op, value)
    return index.lookup(field, fold), [*wanted, *((None, "") if wants_null else ())]


def _candidates(lookup: dict[Any, list[int]], keys: list[Any]) -> list[int]:
    """Ascending positions under ``keys`` (one key's list as it is: it is ascending, and only read)."""
    lists = [lookup[key] for key in keys if key in lookup]
    return lists[0] if len(lists) == 1 else sorted(pos for positions in lists for pos in positions)


def _narrow(index: TableIndex, op: str, value: Any, lo: int, hi: int) -> tuple[int, int]:
    if isinstance(value, list | dict):
        return lo, hi
    bound = coerce(value, "int", index.zone)
    if not isinstance(bound, int):
        return lo, hi
    ids = index.ids
    if op == ">":
        lo = max(lo, bisect_right(ids, bound))
    elif op == ">=":
        lo = max(lo, bisect_left(ids, bound))
    elif op == "<":
        hi = min(hi, bisect_left(ids, bound))
    elif op == "<=":
        hi = min(hi, bisect_right(ids, bound))
    elif op in ("", "="):
        lo, hi = max(lo, bisect_left(ids, bound)), min(hi, bisect_right(ids, bound))
    return lo, hi


def compile_filter(
    index: TableIndex, raw: Any, *, allowed: frozenset[str] = CRM_OPS, reject_unknown: bool = True
) -> CompiledFilter:
    """Compile a ``filter`` map; unknown fields are ignored, unknown operators rejected or dropped."""
    lo, hi = 0, len(index.ids)
    if raw in (None, "", []):
        return CompiledFilter(None, lo, hi)
    if not isinstance(raw, dict):
        raise RestError(400, "", "Parameter 'filter' must be array.")
    conditions: list[Predicate] = []
    best: tuple[int, dict[Any, list[int]], list[Any]] | None = None  # the most selective equality
    for key, value in raw.items():
        op, name = split_key(key)
        if op not in allowed:
            if reject_unknown:
                raise RestError(400, "INVALID_ARG_VALUE", f"Filter operation not allowed: {op}{name}")
            continue
        field = index.field(name)
        if field is None:
            continue
        if field == index.table.id_field:
            lo, hi = _narrow(index, op, value, lo, hi)
        elif (found := _lookup_keys(index, field, op, value)) is not None:
            lookup, keys = found
            size = sum(len(lookup.get(key, ())) for key in keys)
            if best is None or size < best[0]:
                best = (size, lookup, keys)
        conditions.append(_condition(index, field, op, value))
    if not conditions:
        return CompiledFilter(None, lo, hi)
    # Only worth it when it skips most rows: a condition most rows meet (OWNER_TYPE_ID=2) is scanned.
    candidates = _candidates(best[1], best[2]) if best is not None and best[0] * 4 <= hi - lo else None
    if len(conditions) == 1:
        return CompiledFilter(conditions[0], lo, hi, candidates)
    return CompiledFilter(lambda pos: all(c(pos) for c in conditions), lo, hi, candidates)
