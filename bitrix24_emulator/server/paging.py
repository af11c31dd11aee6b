"""50-row pages with the portal's offset arithmetic, ``start=-1`` and deliberately unstable order.

* Legacy CRM lists floor ``start`` to a multiple of 50; ORM lists (voximplant, user.get) use it as is.
* ``start=-1`` skips the COUNT: no ``total`` (reported as 0), no ``next``.
* Without an ``order`` a database gives no order guarantee. We return rows in ID order with each run of
  100 consecutive matches permuted by a per-request seed, so two requests for neighbouring pages overlap
  and miss rows — exactly the bug a client without ``order`` has on a real portal. Ties of an explicit
  non-unique ``order`` are broken by a per-request hash for the same reason.

``scanned`` is how many rows the simulated database touched; ``counted`` says whether a COUNT ran.
Both feed the operating-time cost model (``limits.py``).
"""

from __future__ import annotations

import random
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from bitrix24_emulator.server.filters import CompiledFilter
from bitrix24_emulator.server.params import as_list
from bitrix24_emulator.server.tables import TableIndex

PAGE = 50
UNSTABLE_CHUNK = 100

Order = list[tuple[str, bool]]  # (field, descending)


@dataclass
class Page:
    positions: list[int]
    total: int | None
    next: int | None
    scanned: int
    counted: bool


def parse_order(index: TableIndex, raw: Any) -> Order:
    """``{FIELD: ASC|DESC}`` with case-insensitive names; unknown fields are ignored."""
    if not isinstance(raw, dict):
        return []
    order: Order = []
    for name, direction in raw.items():
        field = index.field(name)
        if field is not None:
            order.append((field, str(direction).strip().upper() == "DESC"))
    return order


def _matches(index: TableIndex, flt: CompiledFilter, reverse: bool, seen: list[int]) -> Iterator[int]:
    predicate = flt.predicate
    if flt.candidates is not None:
        yield from _indexed_matches(flt, flt.candidates, reverse, seen)
        return
    span = range(flt.hi - 1, flt.lo - 1, -1) if reverse else range(flt.lo, flt.hi)
    for pos in span:
        seen[0] += 1
        if predicate is None or predicate(pos):
            yield pos


def _indexed_matches(
    flt: CompiledFilter, candidates: list[int], reverse: bool, seen: list[int]
) -> Iterator[int]:
    """The matches among the index's candidates, counting ``seen`` as the full scan would have."""
    inside = candidates[bisect_left(candidates, flt.lo) : bisect_left(candidates, flt.hi)]
    start = seen[0]
    for pos in reversed(inside) if reverse else inside:
        if flt.predicate is None or flt.predicate(pos):
            seen[0] = start + (flt.hi - pos if reverse else pos - flt.lo + 1)
            yield pos
    seen[0] = start + flt.hi - flt.lo


def _unstable(chunk_positions: list[int], seed: int, chunk: int) -> list[int]:
    shuffled = list(chunk_positions)
    random.Random(seed * 1_000_003 + chunk).shuffle(shuffled)
    return shuffled


def _sort(index: TableIndex, positions: list[int], order: Order, seed: int) -> list[int]:
    id_field = index.table.id_field
    if not any(field == id_field for field, _ in order):
        salt = seed & 0xFFFFFFFF
        positions = sorted(positions, key=lambda p: ((p * 2654435761) ^ salt) & 0xFFFFFFFF)
    for field, desc in reversed(order):
        column = index.column(field)
        positions.sort(
            key=lambda p, c=column: (c[p] is not None, c[p] if c[p] is not None else 0), reverse=desc
        )
    return positions


def select_page(
    index: TableIndex,
    flt: CompiledFilter,
    order: Order,
    start: int,
    *,
    exact_offset: bool,
    seed: int,
    page_size: int = PAGE,
) -> Page:
    keyset = start < 0
    offset = 0 if keyset else (start if exact_offset else start // PAGE * PAGE)
    size = page_size
    seen = [0]
    id_field = index.table.id_field
    by_id = len(order) == 1 and order[0][0] == id_field
    if not order or by_id:
        reverse = by_id and order[0][1]
        if keyset:
            want = size if by_id else max(size, UNSTABLE_CHUNK)
            taken = list(islice(_matches(index, flt, reverse, seen), want))
            page = taken if by_id else _unstable(taken, seed, 0)[:size]
            return Page(page, None, None, seen[0], counted=False)
        if flt.predicate is None:
            total = flt.hi - flt.lo
            seen[0] = total
            span = range(flt.lo, flt.hi)
            matched: list[int] | range = span[::-1] if reverse else span
        else:
            matched = list(_matches(index, flt, reverse, seen))
            total = len(matched)
        if by_id:
            page = list(matched[offset : offset + size])
        else:
            first, last = offset // UNSTABLE_CHUNK, (min(offset + size, total) - 1) // UNSTABLE_CHUNK
            shuffled: list[int] = []
            for chunk in range(first, last + 1):
                lo = chunk * UNSTABLE_CHUNK
                shuffled += _unstable(list(matched[lo : lo + UNSTABLE_CHUNK]), seed, chunk)
            skip = offset - first * UNSTABLE_CHUNK
            page = shuffled[skip : skip + size]
    else:
        ordered = _sort(index, list(_matches(index, flt, False, seen)), order, seed)
        if keyset:
            return Page(ordered[:size], None, None, seen[0], counted=False)
        total = len(ordered)
        page = ordered[offset : offset + size]
    following = offset + len(page)
    return Page(page, total, following if following < total else None, seen[0], counted=True)


def resolve_select(
    index: TableIndex,
    raw: Any,
    *,
    default: tuple[str, ...] = ("*", "UF_*"),
    on_demand: frozenset[str] = frozenset(),
) -> list[str]:
    """Field names for ``select``: ``*`` = standard fields but ``on_demand`` ones, ``UF_*`` = custom fields.

    The ID is always included; unknown names are skipped silently, like the portal does.
    """
    names = [str(n) for n in as_list(raw)] or list(default)
    wanted: set[str] = {index.table.id_field}
    for name in names:
        if name == "*":
            wanted.update(f for f in index.fields if not f.startswith("UF_") and f not in on_demand)
        elif name.upper() == "UF_*":
            wanted.update(f for f in index.fields if f.startswith("UF_"))
        elif (field := index.field(name)) is not None:
            wanted.add(field)
    return [f for f in index.fields if f in wanted]


def project(index: TableIndex, row: tuple[Any, ...], fields: list[str]) -> dict[str, Any]:
    positions = index.positions
    return {f: row[positions[f]] for f in fields}
