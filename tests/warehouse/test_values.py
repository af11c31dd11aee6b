"""#18 point 3: one datetime rule, in the loader and in staging — an offset-less datetime is the portal's wall
clock, ``dd.mm.yyyy`` is day-first, anything else is refused (quarantined), never shifted."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from orchestration.defs.partitions import ChangeWindow
from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.raw_load import load_versions
from orchestration.warehouse.raw_tables import RAW_ENTITIES
from orchestration.warehouse.values import pg_safe, portal_datetime
from testkit.dbt import run_dbt

MOSCOW = "Europe/Moscow"
# value -> the moment it means on a Moscow portal (None: not a datetime)
CASES: dict[str, str | None] = {
    "2026-10-02T10:00:00+03:00": "2026-10-02T07:00:00+00:00",
    "2026-10-02T10:00:00+0300": "2026-10-02T07:00:00+00:00",
    "2026-10-02T07:00:00Z": "2026-10-02T07:00:00+00:00",
    "2026-10-02T03:00:00-04:00": "2026-10-02T07:00:00+00:00",
    "2026-10-02T10:00:00": "2026-10-02T07:00:00+00:00",  # no offset: the portal's zone, not UTC
    "2026-10-02 10:00:00": "2026-10-02T07:00:00+00:00",
    "02.10.2026": "2026-10-01T21:00:00+00:00",  # 2 October (day first), not 10 February
    "02.10.2026 10:00:00": "2026-10-02T07:00:00+00:00",
    "24.08.2023 13:19": "2023-08-24T10:19:00+00:00",
    "2026-10-02": None,  # a date, not a moment
    "13/10/2026": None,
    "31.02.2026": None,
    "None": None,
    "yesterday": None,
}


@pytest.mark.parametrize(("text", "moment"), CASES.items())
def test_the_loader_reads_each_form_one_way(text: str, moment: str | None) -> None:
    if moment is None:
        with pytest.raises(ValueError):
            portal_datetime(text, MOSCOW)
    else:
        assert portal_datetime(text, MOSCOW) == datetime.fromisoformat(moment)


def test_without_a_zone_an_offsetless_datetime_is_refused_not_guessed() -> None:
    with pytest.raises(ValueError, match="no UTC offset"):
        portal_datetime("2026-10-02T10:00:00", None)
    assert portal_datetime("2026-10-02T10:00:00+03:00", None).tzinfo is not None
    assert portal_datetime("2026-10-02T10:00:00", MOSCOW).tzinfo == ZoneInfo(MOSCOW)


def test_strings_are_made_storable_and_only_those() -> None:
    record = {"TITLE": "a\x00b", "N\x00": ["\ud800x", 5, None], "OK": "тест \U0001f600"}
    assert pg_safe(record) == {"TITLE": "ab", "N": ["\ufffdx", 5, None], "OK": "тест \U0001f600"}


@pytest.mark.integration
def test_staging_reads_each_form_as_the_loader_does(fresh_database) -> None:
    readable = {text: moment for text, moment in CASES.items() if moment is not None}
    values = ", ".join(f"('{text}')" for text in readable)
    query = (
        "select v, to_char({{ b24_timestamp('v') }} at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        f" as utc from (values {values}) as t(v)"
    )
    shown = run_dbt(fresh_database, "show", "--inline", query, "--output", "json", "--limit", "50", "--quiet")
    rows = json.loads(shown.stdout)["show"]
    assert {row["v"]: row["utc"] + "+00:00" for row in rows} == readable


@pytest.mark.integration
def test_the_loader_stamps_in_the_portal_zone_and_quarantines_the_rest(fresh_database) -> None:
    window = ChangeWindow(date(2026, 10, 2), date(2026, 10, 2), MOSCOW)
    records = [
        {"ID": "1", "DATE_MODIFY": "2026-10-02T00:30:00", "DATE_CREATE": "02.10.2026"},  # 00:30 Moscow
        {"ID": "2", "DATE_MODIFY": "2026-10-02T10:00:00+03:00", "DATE_CREATE": "13/10/2026"},
    ]
    conn = connect(fresh_database)
    try:
        result = load_versions(
            conn,
            RAW_ENTITIES["deals"],
            portal_id="default",
            partition_key=lambda record: window.partition_of(record["DATE_MODIFY"]),
            records=records,
            time_zone=MOSCOW,
            window=window.describe(),
        )
        conn.commit()
        with conn.cursor() as cur:
            cur.execute("select id, change_stamp, partition_key from raw.deals")
            stored = cur.fetchall()
            cur.execute("select record_id, reason from raw.quarantine")
            quarantined = cur.fetchall()
    finally:
        conn.close()
    # 00:30 in Moscow is 21:30 UTC the day before: the day is still the portal's 2 October, no shift
    assert stored == [(1, datetime.fromisoformat("2026-10-01T21:30:00+00:00"), "2026-10-02")]
    assert quarantined == [("2", "DATE_CREATE: '13/10/2026' is not a datetime")]
    assert result.quarantined == 1 and result.rows_received == 2
