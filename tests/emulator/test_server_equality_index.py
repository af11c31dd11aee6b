"""Equality filters look rows up in a hash index: the same pages and the same scanned-row counts as a scan.

A ``crm.timeline.comment.list`` call per deal used to test every comment of the portal: ~3 minutes of the
demo's extraction for 18,000 deals. The index must not change what any call returns or what it costs in
the emulator's cost model (``scanned`` rows).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.server.filters import compile_filter
from bitrix24_emulator.server.paging import parse_order, select_page
from bitrix24_emulator.server.tables import TableIndex
from tests.support.emulated import HISTORY_END


@pytest.fixture(scope="module")
def tables() -> dict[str, TableIndex]:
    portal = generate(GeneratorConfig(seed=5, managers=8, departments=2, days=20, end_date=HISTORY_END))
    zone = ZoneInfo(portal.portal_time_zone)
    return {name: TableIndex(portal.tables[name], zone) for name in ("timeline_comments", "activities")}


CASES: list[tuple[str, dict[str, Any], Any]] = [
    ("timeline_comments", {"ENTITY_TYPE": "deal", "ENTITY_ID": 7}, {"ID": "ASC"}),
    ("timeline_comments", {"ENTITY_TYPE": "DEAL", "=ENTITY_ID": "12"}, {"ID": "DESC"}),
    ("timeline_comments", {"@ENTITY_ID": [3, 4, 5], ">ID": 40}, None),
    ("timeline_comments", {"ENTITY_ID": [9, 10], "<=ID": 500}, {"CREATED": "ASC"}),
    ("timeline_comments", {"ENTITY_ID": 999_999}, None),
    ("activities", {"OWNER_TYPE_ID": 2, "COMPLETED": "N"}, {"ID": "ASC"}),
    ("activities", {"TYPE_ID": [1, 2], "!COMPLETED": "Y", ">=ID": 100}, None),
    ("activities", {"COMPLETED": ""}, None),
]


@pytest.mark.parametrize(("table", "raw", "order"), CASES)
@pytest.mark.parametrize("start", [-1, 0, 50])
def test_an_indexed_filter_pages_and_counts_like_a_full_scan(
    tables: dict[str, TableIndex], table: str, raw: dict[str, Any], order: Any, start: int
) -> None:
    index = tables[table]
    indexed = compile_filter(index, raw)
    scanned = replace(indexed, candidates=None)
    ordering = parse_order(index, order)
    got = select_page(index, indexed, ordering, start, exact_offset=False, seed=1)
    want = select_page(index, scanned, ordering, start, exact_offset=False, seed=1)
    assert got == want


def test_one_deals_comments_are_looked_up_not_scanned(tables: dict[str, TableIndex]) -> None:
    index = tables["timeline_comments"]
    flt = compile_filter(index, {"ENTITY_TYPE": "deal", "ENTITY_ID": 7})
    entity = index.column("ENTITY_ID")
    assert flt.candidates is not None
    assert flt.candidates == [pos for pos, value in enumerate(entity) if value == 7]
