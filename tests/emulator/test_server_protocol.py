"""Transport, authentication, parameter encoding and envelopes, over real HTTP.

Facts: docs/bitrix24-api.md § Requests, § Authentication.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

import pytest
import requests
from conftest import Client
from portal_fixtures import make_portal

from bitrix24_emulator.server import Emulator, ManualClock, Webhook
from bitrix24_emulator.server.params import parse_body, parse_query
from bitrix24_emulator.testing import running_emulator


def test_php_bracket_notation_builds_nested_arrays() -> None:
    parsed = parse_query("filter[>ID]=10&select[]=ID&select[]=TITLE&order[ID]=ASC&cmd[a]=x%3Fy%3D1")
    assert parsed == {
        "filter": {">ID": "10"},
        "select": ["ID", "TITLE"],
        "order": {"ID": "ASC"},
        "cmd": {"a": "x?y=1"},
    }


def test_json_only_with_json_content_type_and_invalid_json_is_empty() -> None:
    assert parse_body("application/json; charset=utf-8", b'{"start": 50}') == {"start": 50}
    assert parse_body("application/json", b"{not json") == {}
    assert parse_body("text/plain", b'{"start": 50}') == {}
    assert parse_body("application/x-www-form-urlencoded", b"filter%5BID%5D=3") == {"filter": {"ID": "3"}}


def test_success_envelope_carries_time_with_operating(client: Client) -> None:
    body = client.ok("user.get", start=0)
    assert set(body) == {"result", "next", "total", "time"}
    assert set(body["time"]) == {
        "start",
        "finish",
        "duration",
        "processing",
        "date_start",
        "date_finish",
        "operating",
        "operating_reset_at",
    }
    assert body["time"]["date_start"].endswith("+03:00")
    assert isinstance(body["time"]["operating_reset_at"], int)


def test_method_names_case_insensitive_and_json_suffix(emu: Emulator) -> None:
    response = requests.get(emu.webhook_url + "User.Get.json", params={"start": -1}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert len(response.json()["result"]) == 50


def test_get_query_form_body_and_body_overrides_query(emu: Emulator) -> None:
    url = emu.webhook_url + "crm.deal.list"
    by_query = requests.get(url, params={"FILTER[ID]": "5", "select[]": "ID"}, timeout=10).json()
    assert by_query["result"] == [{"ID": "5"}]
    by_form = requests.post(url, data={"arFilter[ID]": "6", "select[]": "TITLE"}, timeout=10).json()
    assert by_form["result"] == [{"ID": "6", "TITLE": "Deal 6"}]
    both = requests.post(url + "?filter[ID]=7", json={"filter": {"ID": "8"}}, timeout=10).json()
    assert [r["ID"] for r in both["result"]] == ["8"]
    bad_json = requests.post(
        url + "?filter[ID]=9", data=b"{oops", headers={"Content-Type": "application/json"}, timeout=10
    ).json()
    assert [r["ID"] for r in bad_json["result"]] == ["9"]


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("crm.no.such.method", 404, "ERROR_METHOD_NOT_FOUND"),
        ("../wrong-secret/user.get", 401, "NO_AUTH_FOUND"),
    ],
)
def test_error_envelopes(emu: Emulator, path: str, status: int, code: str) -> None:
    url = emu.webhook_url + path
    if path.startswith("../"):
        url = emu.webhook_url.rsplit("/", 2)[0] + "/" + path[3:]
    response = requests.get(url, timeout=10)
    assert response.status_code == status
    assert response.json() == {"error": code, "error_description": response.json()["error_description"]}


def test_crm_business_error_has_empty_code(client: Client) -> None:
    assert client.call("crm.deal.get", id=999999) == (400, {"error": "", "error_description": "Not found"})
    assert client.call("crm.deal.get")[1]["error_description"] == "ID is not defined or invalid."


def test_webhook_scope_and_rights() -> None:
    hooks = (
        Webhook(1, "full"),
        Webhook(2, "crmonly", scopes=frozenset({"crm"}), denied_methods=frozenset()),
        Webhook(3, "novox", denied_methods=frozenset({"voximplant.statistic.get"})),
    )
    with running_emulator(make_portal(deals=5, calls=5), webhooks=hooks) as emu:
        base = emu.base_url + "/rest/"
        assert requests.get(base + "2/crmonly/crm.deal.list", timeout=10).status_code == 200
        scoped = requests.get(base + "2/crmonly/user.get", timeout=10)
        assert (scoped.status_code, scoped.json()["error"]) == (401, "insufficient_scope")
        denied = requests.get(base + "3/novox/voximplant.statistic.get", timeout=10)
        assert (denied.status_code, denied.json()["error"]) == (403, "ACCESS_DENIED")


def test_bad_secret_code_is_configurable() -> None:
    with running_emulator(make_portal(deals=2, calls=2), bad_secret_code="INVALID_CREDENTIALS") as emu:
        response = requests.get(emu.base_url + "/rest/1/nope/user.get", timeout=10)
        assert (response.status_code, response.json()["error"]) == (401, "INVALID_CREDENTIALS")


def test_empty_maps_serialise_as_php_empty_arrays(client: Client) -> None:
    body = client.ok("crm.activity.list", filter={"ID": 2}, select=["ID", "SETTINGS"])
    assert body["result"] == [{"ID": "2", "SETTINGS": []}]


def test_oauth_token_expiry_and_rotating_refresh() -> None:
    clock = ManualClock()
    with running_emulator(make_portal(deals=3, calls=3), clock=clock, oauth_access_ttl_s=3600) as emu:
        oauth = emu.service.oauth
        token_url = emu.base_url + "/oauth/token/"
        creds = {"client_id": oauth.client_id, "client_secret": oauth.client_secret}
        first = requests.get(
            token_url,
            params={**creds, "grant_type": "authorization_code", "code": oauth.authorization_code()},
            timeout=10,
        ).json()
        assert first["expires_in"] == 3600 and first["client_endpoint"] == emu.rest_url
        call = emu.rest_url + "crm.deal.list"
        assert requests.get(call, params={"auth": first["access_token"]}, timeout=10).status_code == 200
        clock.advance(3601)
        expired = requests.get(call, params={"auth": first["access_token"]}, timeout=10)
        assert (expired.status_code, expired.json()["error"]) == (401, "expired_token")
        refreshed = requests.get(
            token_url,
            params={**creds, "grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
            timeout=10,
        ).json()
        assert refreshed["refresh_token"] != first["refresh_token"]
        assert requests.post(call, data={"auth": refreshed["access_token"]}, timeout=10).status_code == 200
        reused = requests.get(
            token_url,
            params={**creds, "grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
            timeout=10,
        )
        assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")
        unknown = requests.get(call, params={"auth": "nonsense"}, timeout=10)
        assert (unknown.status_code, unknown.json()["error"]) == (401, "invalid_token")
        missing = requests.get(call, timeout=10)
        assert (missing.status_code, missing.json()["error"]) == (401, "NO_AUTH_FOUND")


def test_https_with_self_signed_certificate() -> None:
    with running_emulator(make_portal(deals=2, calls=2), https=True) as emu:
        assert emu.webhook_url.startswith("https://127.0.0.1:")
        assert emu.cert_path is not None and emu.cert_path.exists()
        response = requests.get(emu.webhook_url + "crm.deal.list", verify=str(emu.cert_path), timeout=10)
        assert [r["ID"] for r in response.json()["result"]] in (["1", "2"], ["2", "1"])


def test_counters_served_over_http(emu: Emulator, client: Client) -> None:
    client.ok("department.get")
    counters = json.loads(requests.get(emu.base_url + "/_emulator/counters", timeout=10).text)
    assert counters["calls"]["department.get"] >= 1
    assert counters == emu.counters.snapshot() | {"requests": counters["requests"]}


def test_time_block_tells_the_portals_clock_the_one_its_records_are_stamped_by() -> None:
    """A portal whose "now" (snapshot_at) is weeks before the caller's: each answer's ``time`` says the
    portal's time, so a record changed after an answer is stamped after that answer's ``date_start``
    (docs/bitrix24-api.md, "time block"), whatever the caller's own clock says."""
    portal = make_portal()
    with running_emulator(portal) as emu:
        before = requests.get(emu.webhook_url + "crm.deal.list", params={"start": -1}, timeout=10).json()
        deal_id = emu.live.new_deal()
        deal = requests.get(emu.webhook_url + "crm.deal.get", params={"id": deal_id}, timeout=10).json()
    snapshot = datetime.fromisoformat(portal.snapshot_at).timestamp()
    assert snapshot <= before["time"]["start"] < snapshot + 60  # the portal's clock, not this machine's
    started = datetime.fromisoformat(before["time"]["date_start"])
    assert started.timestamp() == int(before["time"]["start"])
    assert started <= datetime.fromisoformat(deal["result"]["DATE_MODIFY"]) < started + timedelta(minutes=1)
    assert abs(before["time"]["start"] - time.time()) > 3600  # the fixture's history ends in the past
