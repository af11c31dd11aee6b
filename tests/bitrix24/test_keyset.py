"""The fast recipe against an independent list-and-batch peer: every row once, 2,500 rows per request."""

from __future__ import annotations

import math

import pytest

from orchestration.bitrix24 import Bitrix24Client, Bitrix24ScopeError, ClientSettings
from orchestration.bitrix24.batch import command, parse_batch, php_query
from tests.bitrix24.mini_portal import MiniPortal, php_parse
from tests.bitrix24.scripted_portal import FakeClock, scripted_portal


def client_for(url: str) -> Bitrix24Client:
    settings = ClientSettings(webhook_url=url, plan="unlimited", timeout_s=5, backoff_base_s=0.01)
    return Bitrix24Client(settings, clock=FakeClock())


def export(portal: MiniPortal, method: str = "crm.deal.list", params: dict | None = None, **kw: object):
    with scripted_portal(portal) as peer:
        client = client_for(peer.webhook_url)
        pages = list(client.iter_keyset(method, params, **kw))  # type: ignore[arg-type]
    ids = [int(row["ID"]) for page in pages for row in page]
    return ids, client, peer


def test_php_query_round_trips_through_a_php_style_parser() -> None:
    params = {
        "filter": {">ID": "$result[p0][49][ID]", "%TITLE": "a&b=c", "@STAGE_ID": ["NEW", "WON"]},
        "order": {"ID": "ASC"},
        "select": ["ID", "TITLE"],
        "start": -1,
    }
    parsed = php_parse(php_query(params))
    assert parsed == {
        "filter": {">ID": "$result[p0][49][ID]", "%TITLE": "a&b=c", "@STAGE_ID": {"0": "NEW", "1": "WON"}},
        "order": {"ID": "ASC"},
        "select": {"0": "ID", "1": "TITLE"},
        "start": "-1",
    }
    assert command("profile", {}) == "profile"


def test_parse_batch_reads_php_empty_arrays_as_empty_maps() -> None:
    parsed = parse_batch(
        {
            "result": {"a": [1]},
            "result_error": [],
            "result_total": {"a": "3"},
            "result_next": [],
            "result_time": [],
        }
    )
    assert parsed.results == {"a": [1]} and parsed.errors == {} and parsed.totals == {"a": 3}


@pytest.mark.parametrize("count", [0, 7, 50, 2_550, 5_000, 6_321])
def test_every_row_exactly_once_in_id_order(count: int) -> None:
    ids = [3 * i + 1 for i in range(count)]  # gaps between ids, like a real table after deletions
    got, client, peer = export(MiniPortal(ids))
    assert got == ids
    pages = math.ceil((count + 1) / 50) if count % 50 == 0 else math.ceil(count / 50)
    # one probe page, then batches of up to 50 chained pages
    assert client.stats.http_requests == 1 + math.ceil(max(0, pages - 1) / 50)
    assert client.stats.rows == count


def test_requests_carry_the_recipe() -> None:
    portal = MiniPortal(list(range(1, 3_001)))
    _, client, peer = export(portal, params={"filter": {">=DATE_MODIFY": "2024-01-01"}, "select": ["ID"]})
    first = peer.seen[0].body
    assert (
        first["start"] == -1
        and first["order"] == {"ID": "ASC"}
        and first["filter"] == {">=DATE_MODIFY": "2024-01-01"}
    )
    batch = peer.seen[1].body
    assert batch["halt"] == 1 and len(batch["cmd"]) == 50
    p1 = php_parse(batch["cmd"]["p1"].partition("?")[2])
    assert p1["filter"][">ID"] == "$result[p0][49][ID]" and p1["start"] == "-1"
    assert php_parse(batch["cmd"]["p0"].partition("?")[2])["filter"][">ID"] == "50"
    assert client.stats.batches == 2
    assert client.stats.rows / client.stats.http_requests == 1_000


def test_pages_after_a_short_page_are_discarded_not_duplicated() -> None:
    # 120 rows: the batch's second page is short; the portal's fallback makes every later command return
    # rows from the beginning (an unresolved ``[49]`` becomes the whole page array) — they must be dropped.
    ids = list(range(1, 121))
    got, _, _ = export(MiniPortal(ids))
    assert got == ids


def test_a_retryable_command_error_resumes_after_the_last_good_page() -> None:
    faults = {7: {"error": "OPERATION_TIME_LIMIT", "error_description": "blocked"}}
    ids = list(range(1, 10_001))
    got, client, _ = export(MiniPortal(ids, command_faults=faults))
    assert got == ids
    assert client.stats.retries_by_cause["batch_command_error"] == 1


def test_a_fatal_command_error_raises_its_type() -> None:
    faults = {3: {"error": "insufficient_scope", "error_description": ""}}
    with pytest.raises(Bitrix24ScopeError):
        export(MiniPortal(list(range(1, 500)), command_faults=faults))


def test_wrapped_rows_and_upper_case_keys() -> None:
    ids = list(range(10, 3_000))
    got, _, _ = export(MiniPortal(ids, wrap="items"), "crm.stagehistory.list", {"entityTypeId": 2})
    assert got == ids
    got, _, peer = export(MiniPortal(ids, upper_keys=True), "voximplant.statistic.get")
    assert got == ids
    assert (
        peer.seen[0].body["SORT"] == "ID"
        and peer.seen[0].body["ORDER"] == "ASC"
        and "FILTER" in peer.seen[0].body
    )


def test_resume_after_a_given_id() -> None:
    ids = list(range(1, 400))
    got, _, _ = export(MiniPortal(ids), params={"filter": {">ID": 120}})
    assert got == ids[120:]


def test_offset_paging_batches_the_remaining_offsets() -> None:
    ids = list(range(1, 131))
    portal = MiniPortal(ids)
    with scripted_portal(portal) as peer:
        client = client_for(peer.webhook_url)
        pages = list(client.iter_offset("user.get", {"filter": {"ACTIVE": True}}))
    assert [int(r["ID"]) for p in pages for r in p] == ids
    assert peer.methods() == ["user.get", "batch"]
    assert sorted(int(p.get("start", 0)) for p in portal.list_calls) == [0, 50, 100]
