"""Per-method contracts: envelopes, paging arithmetic, every filter prefix, select and order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from conftest import Client
from portal_fixtures import make_portal

from bitrix24_emulator.server import Emulator, MethodOptions
from bitrix24_emulator.testing import running_emulator

PORTAL = make_portal()
DEALS = [PORTAL.tables["deals"].as_dict(r) for r in PORTAL.tables["deals"].rows]


def ids(rows: list[dict[str, Any]]) -> list[int]:
    return [int(r["ID"]) for r in rows]


def all_pages(client: Client, method: str, **params: Any) -> list[dict[str, Any]]:
    rows, start = [], 0
    while start is not None:
        body = client.ok(method, start=start, **params)
        rows += body["result"]
        start = body.get("next")
    return rows


# --- paging ----------------------------------------------------------------------------------------


def test_deal_list_pages_total_next(client: Client) -> None:
    first = client.ok("crm.deal.list", order={"ID": "ASC"})
    assert (len(first["result"]), first["next"], first["total"]) == (50, 50, 130)
    last = client.ok("crm.deal.list", order={"ID": "ASC"}, start=100)
    assert len(last["result"]) == 30 and "next" not in last and last["total"] == 130
    assert ids(all_pages(client, "crm.deal.list", order={"ID": "ASC"})) == list(range(1, 131))


def test_legacy_start_is_floored_to_page_boundary(client: Client) -> None:
    body = client.ok("crm.deal.list", order={"ID": "ASC"}, start=57)
    assert ids(body["result"])[0] == 51 and body["next"] == 100


def test_orm_methods_use_exact_offset(client: Client) -> None:
    users = client.ok("user.get", sort="ID", order="ASC", start=3)
    assert ids(users["result"])[:2] == [4, 5] and users["next"] == 53 and users["total"] == 120
    calls = client.ok("voximplant.statistic.get", SORT="ID", ORDER="ASC", start=7)
    assert ids(calls["result"])[0] == 8 and calls["next"] == 57


def test_start_minus_one_skips_count(client: Client) -> None:
    for method, params in [
        ("crm.deal.list", {"order": {"ID": "ASC"}, "filter": {">ID": 20}}),
        ("voximplant.statistic.get", {"SORT": "ID", "ORDER": "ASC", "FILTER": {">ID": 20}}),
        ("user.get", {"sort": "ID", "order": "ASC", "FILTER": {">ID": 20}}),
    ]:
        body = client.ok(method, start=-1, **params)
        assert ids(body["result"]) == list(range(21, 71)), method
        assert body["total"] == 0 and "next" not in body


def test_without_order_the_order_is_not_stable(client: Client) -> None:
    page = ids(client.ok("crm.deal.list", select=["ID"])["result"])
    again = ids(client.ok("crm.deal.list", select=["ID"])["result"])
    assert page != list(range(1, 51)) and page != again
    assert set(page) <= set(range(1, 101))  # IDs stay near their place, like a real unordered scan


# --- filters ---------------------------------------------------------------------------------------

FILTER_CASES: list[tuple[dict[str, Any], Callable[[dict[str, Any]], bool]]] = [
    ({"STAGE_ID": "WON"}, lambda d: d["STAGE_ID"] == "WON"),
    ({"=CATEGORY_ID": 1}, lambda d: d["CATEGORY_ID"] == "1"),
    ({"!STAGE_ID": "NEW"}, lambda d: d["STAGE_ID"] != "NEW"),
    ({"!=CATEGORY_ID": "0"}, lambda d: d["CATEGORY_ID"] != "0"),
    ({">OPPORTUNITY": "5000"}, lambda d: float(d["OPPORTUNITY"]) > 5000),
    ({">=ID": 120}, lambda d: int(d["ID"]) >= 120),
    ({"<ID": "11"}, lambda d: int(d["ID"]) < 11),
    ({"<=ID": 10, ">ID": 5}, lambda d: 5 < int(d["ID"]) <= 10),
    ({"@ASSIGNED_BY_ID": [1, 2]}, lambda d: d["ASSIGNED_BY_ID"] in ("1", "2")),
    ({"ASSIGNED_BY_ID": ["3", "4"]}, lambda d: d["ASSIGNED_BY_ID"] in ("3", "4")),
    ({"!@ASSIGNED_BY_ID": [1, 2]}, lambda d: d["ASSIGNED_BY_ID"] not in ("1", "2")),
    ({"%TITLE": "vip"}, lambda d: "VIP" in d["TITLE"]),
    ({"=%TITLE": "Deal 1%"}, lambda d: d["TITLE"].startswith("Deal 1")),
    ({"%=TITLE": "%7 VIP"}, lambda d: d["TITLE"].endswith("7 VIP")),
    ({"!%TITLE": "VIP"}, lambda d: "VIP" not in d["TITLE"]),
    ({"COMPANY_ID": ""}, lambda d: d["COMPANY_ID"] is None),
    ({"!COMPANY_ID": ""}, lambda d: d["COMPANY_ID"] is not None),
    ({"stage_id": "c1:work"}, lambda d: d["STAGE_ID"] == "C1:WORK"),
    (
        {">=DATE_CREATE": "2025-01-10T00:00:00+03:00"},
        lambda d: d["DATE_CREATE"] >= "2025-01-10T00:00:00+03:00",
    ),
    # the same instant written in UTC, offset-less (portal zone), date-only and portal format
    ({"<DATE_CREATE": "2025-01-07T06:00:00Z"}, lambda d: d["DATE_CREATE"] < "2025-01-07T09:00:00+03:00"),
    ({"<DATE_CREATE": "2025-01-07T09:00:00"}, lambda d: d["DATE_CREATE"] < "2025-01-07T09:00:00+03:00"),
    ({"<DATE_CREATE": "2025-01-08"}, lambda d: d["DATE_CREATE"] < "2025-01-08T00:00:00+03:00"),
    ({"<DATE_CREATE": "08.01.2025 00:00:00"}, lambda d: d["DATE_CREATE"] < "2025-01-08T00:00:00+03:00"),
]


@pytest.mark.parametrize(("flt", "expected"), FILTER_CASES, ids=[str(c[0]) for c in FILTER_CASES])
def test_deal_filter_prefixes(
    client: Client, flt: dict[str, Any], expected: Callable[[dict[str, Any]], bool]
) -> None:
    got = ids(all_pages(client, "crm.deal.list", filter=flt, order={"ID": "ASC"}))
    want = [int(d["ID"]) for d in DEALS if expected(d)]
    assert want, "a case must select something"
    assert got == want


def test_filter_must_be_array_and_unknown_operator_rejected(client: Client) -> None:
    assert client.call("crm.deal.list", filter="ID=1") == (
        400,
        {"error": "", "error_description": "Parameter 'filter' must be array."},
    )
    status, body = client.call("crm.deal.list", filter={"><ID": [1, 5]})
    assert (status, body["error"]) == (400, "INVALID_ARG_VALUE")


def test_voximplant_between_search_and_silently_dropped_operator(client: Client) -> None:
    base = {"SORT": "ID", "ORDER": "ASC"}
    between = client.ok("voximplant.statistic.get", FILTER={"><ID": [10, 12]}, **base)
    assert ids(between["result"]) == [10, 11, 12]
    outside = client.ok("voximplant.statistic.get", FILTER={"!><ID": [3, 130]}, **base)
    assert ids(outside["result"]) == [1, 2]
    search = client.ok("voximplant.statistic.get", FILTER={"?CALL_ID": "000012"}, **base)
    assert ids(search["result"]) == [12]
    dropped = client.ok(
        "voximplant.statistic.get", FILTER={"=%CALL_ID": "nothing", "CALL_FAILED_CODE": "304"}, **base
    )
    assert dropped["total"] == 130 // 4
    dates = client.ok(
        "voximplant.statistic.get", FILTER={">CALL_START_DATE": "2025-01-06T06:17:00+00:00"}, **base
    )
    assert dates["total"] == 129  # call 1 starts at 09:17 Moscow = 06:17 UTC


# --- select and order ------------------------------------------------------------------------------


def test_select_star_uf_and_explicit(client: Client) -> None:
    star = client.ok("crm.deal.list", filter={"ID": 1}, select=["*"])["result"][0]
    assert "TITLE" in star and "UF_CRM_SOURCE" not in star and "CONTACT_IDS" not in star
    default = client.ok("crm.deal.list", filter={"ID": 1})["result"][0]
    assert "UF_CRM_SOURCE" in default and "TITLE" in default
    uf = client.ok("crm.deal.list", filter={"ID": 1}, select=["UF_*"])["result"][0]
    assert set(uf) == {"ID", "UF_CRM_SOURCE"}
    named = client.ok("crm.deal.list", filter={"ID": 1}, select=["title", "CONTACT_IDS", "NO_SUCH"])[
        "result"
    ][0]
    assert named == {"ID": "1", "TITLE": "Deal 1", "CONTACT_IDS": ["1"]}


def test_order_desc_and_two_fields(client: Client) -> None:
    desc = client.ok("crm.deal.list", order={"ID": "DESC"}, select=["ID"])
    assert ids(desc["result"])[:3] == [130, 129, 128]
    rows = all_pages(
        client, "crm.deal.list", order={"ASSIGNED_BY_ID": "ASC", "ID": "DESC"}, select=["ASSIGNED_BY_ID"]
    )
    keys = [(int(r["ASSIGNED_BY_ID"]), -int(r["ID"])) for r in rows]
    assert keys == sorted(keys) and len(keys) == 130


# --- method shapes ---------------------------------------------------------------------------------


def test_deal_get_and_fields(client: Client) -> None:
    deal = client.ok("crm.deal.get", id=7)["result"]
    assert deal["TITLE"] == "Deal 7 VIP" and deal["OPPORTUNITY"] == "700.00" and "total" not in deal
    fields = client.ok("crm.deal.fields")["result"]
    assert fields["ID"]["isReadOnly"] is True and fields["DATE_CREATE"]["type"] == "datetime"


def test_activity_list_bindings_default_order_and_on_demand_fields(client: Client) -> None:
    body = client.ok("crm.activity.list", filter={"BINDINGS": [{"OWNER_TYPE_ID": 2, "OWNER_ID": 3}]})
    rows = body["result"]
    assert ids(rows) == [6, 5] and "COMMUNICATIONS" not in rows[0]
    starts = [datetime.fromisoformat(r["START_TIME"]) for r in client.ok("crm.activity.list")["result"]]
    assert starts == sorted(starts)
    named = client.ok("crm.activity.list", filter={"ID": 1}, select=["COMMUNICATIONS"])["result"][0]
    assert named["COMMUNICATIONS"][0]["TYPE"] == "PHONE"
    assert client.ok("crm.activity.get", id=3)["result"]["PROVIDER_ID"] == "VOXIMPLANT_CALL"
    assert client.ok("crm.activity.fields")["result"]["CREATED"]["isReadOnly"] is True


def test_stagehistory_items_native_ints_and_paging(client: Client) -> None:
    body = client.ok("crm.stagehistory.list", entityTypeId=2, order={"ID": "ASC"}, start=60)
    items = body["result"]["items"]
    assert items[0]["ID"] == 51 and isinstance(items[0]["OWNER_ID"], int)
    assert (body["total"], body["next"]) == (130, 100)
    assert client.call("crm.stagehistory.list")[0] == 400


def test_category_and_status_lists(client: Client) -> None:
    categories = client.ok("crm.category.list", entityTypeId=2)
    assert [c["id"] for c in categories["result"]["categories"]] == [0, 1] and categories["total"] == 2
    statuses = client.ok("crm.status.list", filter={"ENTITY_ID": "DEAL_STAGE_1"}, order={"SORT": "ASC"})
    assert [s["STATUS_ID"] for s in statuses["result"]] == ["C1:NEW", "C1:WORK", "C1:WON", "C1:LOSE"]
    assert "next" not in statuses


def test_timeline_comments_filter_by_entity_only_as_the_vendor_code(client: Client) -> None:
    # Without an entity type the vendor's permission check fails; without an ID nothing matches.
    status, body = client.call("crm.timeline.comment.list", filter={"ENTITY_ID": 1})
    assert status == 400 and (body["error"], body["error_description"]) == ("", "Access denied.")
    assert client.ok("crm.timeline.comment.list", filter={"ENTITY_TYPE": "deal"})["result"] == []
    deal = {"ENTITY_ID": 2, "ENTITY_TYPE": "DEAL"}
    # Every other filter key is ignored: >ID does not page.
    for start in (0, -1):
        body = client.ok(
            "crm.timeline.comment.list", filter={**deal, ">ID": 4}, order={"ID": "ASC"}, start=start
        )
        assert ids(body["result"]) == [1, 4, 7]
    # Order: exactly "DESC" sorts descending, anything else ascending.
    assert ids(client.ok("crm.timeline.comment.list", filter=deal, order={"ID": "DESC"})["result"]) == [
        7,
        4,
        1,
    ]
    assert ids(client.ok("crm.timeline.comment.list", filter=deal, order={"ID": "desc"})["result"]) == [
        1,
        4,
        7,
    ]


def test_timeline_comments_full_filter_is_an_option() -> None:
    with running_emulator(make_portal(), methods=MethodOptions(comment_list_full_filter=True)) as emu:
        body = Client(emu.webhook_url).ok(
            "crm.timeline.comment.list",
            filter={"ENTITY_ID": 2, "ENTITY_TYPE": "deal", ">ID": 4},
            order={"ID": "ASC"},
            start=-1,
        )
    assert ids(body["result"]) == [7]


def test_user_get_filter_array_replaces_top_level_filter_keys(client: Client) -> None:
    # The vendor reads top-level keys as the filter only when there is no FILTER array.
    body = client.ok("user.get", ID=5, FILTER={"UF_DEPARTMENT": 2}, sort="ID", order="ASC")
    assert ids(body["result"])[:3] == [1, 4, 7]


def test_voximplant_order_is_exactly_asc_or_desc(client: Client) -> None:
    assert ids(client.ok("voximplant.statistic.get", SORT="ID", ORDER="DESC")["result"])[0] == 130
    # A lower-case direction is not a direction: no sorting, the database's own order.
    assert ids(client.ok("voximplant.statistic.get", SORT="ID", ORDER="asc")["result"]) != list(range(1, 51))


def test_users_departments_and_calendar(client: Client) -> None:
    active = client.ok("user.get", FILTER={"ACTIVE": True}, start=-1, sort="ID", order="ASC")
    assert all(u["ACTIVE"] is True for u in active["result"]) and 10 not in ids(active["result"])
    team = client.ok("user.get", FILTER={"UF_DEPARTMENT": 2}, sort="ID", order="ASC")
    assert ids(team["result"])[:3] == [1, 4, 7]
    assert ids(client.ok("user.get", ID=5)["result"]) == [5]  # filter keys at top level
    departments = client.ok("department.get", sort="ID", order="ASC")["result"]
    assert (
        "PARENT" not in departments[0] and departments[1]["PARENT"] == "1" and "UF_HEAD" not in departments[3]
    )
    assert ids(client.ok("department.get", PARENT=2)["result"]) in ([3, 4], [4, 3])
    assert client.ok("calendar.settings.get")["result"]["week_holidays"] == ["SA", "SU"]
    absent = client.ok(
        "calendar.accessibility.get", users=[2, 3, 4], **{"from": "2025-01-01", "to": "2025-01-31"}
    )
    result = absent["result"]
    assert (
        [e["ID"] for e in result["2"]] == ["1"]
        and [e["ID"] for e in result["3"]] == ["3"]
        and result["4"] == []
    )
    assert result["2"][0]["ACCESSIBILITY"] == "absent" and "USER_ID" not in result["2"][0]


def test_department_get_reads_an_upper_case_sort_as_a_filter_too(client: Client) -> None:
    """Vendor behaviour (docs/bitrix24-api.md, "department.get"): the case-sensitive filter keys ID, NAME,
    SORT, PARENT, UF_HEAD are taken with intval, so ``SORT=ID`` keeps only sort index 0; the lower-case
    ``sort``/``order`` only sort."""
    departments = PORTAL.tables["departments"]
    sort_at = departments.index_of("SORT")
    every = sorted(int(row[0]) for row in departments.rows)
    assert all(row[sort_at] != 0 for row in departments.rows)
    assert client.ok("department.get", SORT="ID", ORDER="ASC")["result"] == []
    assert ids(client.ok("department.get", sort="ID", order="ASC")["result"]) == every
    assert ids(client.ok("department.get", sort="ID", order="DESC")["result"]) == every[::-1]
    first_sort = departments.rows[0][sort_at]
    assert str(every[0]) in {
        str(d["ID"]) for d in client.ok("department.get", SORT=str(first_sort))["result"]
    }


def test_methods_are_counted(emu: Emulator) -> None:
    counters = emu.counters.snapshot()
    assert counters["rows"]["crm.deal.list"] > 130 and counters["operating"]["crm.deal.list"] > 0
