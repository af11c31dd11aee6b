"""The raw checks' queries catch what they are there for: doubled versions, missing payload keys, and a
count of current versions that ignores superseded and deleted records."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from orchestration.defs.ingestion.raw_checks import (
    MART_FIELDS,
    current_in_window,
    duplicate_versions,
    rows_missing_fields,
)
from orchestration.defs.partitions import ChangeWindow
from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.raw_load import load_versions
from orchestration.warehouse.raw_tables import RAW_ENTITIES
from tests.ingestion import harness

pytestmark = pytest.mark.integration

ZONE = "Europe/Moscow"
DAY = ChangeWindow(date(2026, 10, 20), date(2026, 10, 20), ZONE)
NEXT_DAY = ChangeWindow(date(2026, 10, 21), date(2026, 10, 21), ZONE)


def _deal(deal_id: int, modified: str, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {name: "1" for name in MART_FIELDS["deals"]}
    # the datetimes are datetimes: the loader quarantines a record whose DATE_CREATE is not one
    record.update(ID=str(deal_id), DATE_MODIFY=modified, DATE_CREATE=modified, **changes)
    return {name: value for name, value in record.items() if value is not None}


def test_checks_see_doubles_gaps_and_superseded_versions(fresh_database) -> None:
    records = [
        _deal(1, "2026-10-20T10:00:00+03:00"),
        _deal(
            1, "2026-10-20T10:00:00+03:00", OPPORTUNITY="2"
        ),  # same stamp, other payload: a doubled version
        _deal(2, "2026-10-20T11:00:00+03:00", TITLE=None),  # a key the marts read is missing
        _deal(3, "2026-10-20T12:00:00+03:00"),
        _deal(3, "2026-10-21T09:00:00+03:00"),  # superseded the next day: current in NEXT_DAY only
        _deal(4, "2026-10-20T13:00:00+03:00"),  # deleted afterwards (below)
    ]
    conn = connect(fresh_database)
    try:
        load_versions(conn, RAW_ENTITIES["deals"], portal_id="default", partition_key="x", records=records)
        conn.commit()
        harness.execute(
            fresh_database, "insert into raw.deletions (portal_id, entity, id) values ('default', 'deals', 4)"
        )
        assert duplicate_versions(conn, "deals", "default", DAY) == 1
        assert duplicate_versions(conn, "deals", "default", NEXT_DAY) == 0
        assert rows_missing_fields(conn, "deals", "default", DAY, MART_FIELDS["deals"]) == (1, {"TITLE": 1})
        assert current_in_window(conn, "deals", "default", DAY) == 2  # deals 1 and 2
        assert current_in_window(conn, "deals", "default", NEXT_DAY) == 1  # deal 3
    finally:
        conn.close()
