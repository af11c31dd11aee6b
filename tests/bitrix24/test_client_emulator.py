"""The client against the Bitrix24 emulator over HTTP: exact exports, faults, limits, bad credentials.

Limit tests share one ``ManualClock`` between the emulator and the client, so the client's pacing sleeps move
the portal's time too: the portal's real rate and operating-budget rules are exercised without waiting.
"""

from __future__ import annotations

import traceback
from typing import Any

import pytest

import bitrix24_emulator.testing as emulator
from bitrix24_emulator.generator import GeneratorConfig, generate  # noqa: E402
from bitrix24_emulator.model import PortalData  # noqa: E402
from bitrix24_emulator.server import Faults, Limits  # noqa: E402
from bitrix24_emulator.server.auth import Webhook  # noqa: E402
from bitrix24_emulator.server.clock import ManualClock  # noqa: E402
from orchestration.bitrix24 import (  # noqa: E402
    Bitrix24AuthError,
    Bitrix24Client,
    Bitrix24Error,
    Bitrix24MethodNotFoundError,
    Bitrix24ScopeError,
    Bitrix24UnreachableError,
    ClientSettings,
)
from tests.support.emulated import HISTORY_END

running_emulator = emulator.running_emulator
pytestmark = pytest.mark.integration

# (method, table, change stamp, params)
EXPORTS: list[tuple[str, str, str | None, dict[str, Any] | None]] = [
    ("crm.deal.list", "deals", "DATE_MODIFY", {"select": ["ID", "DATE_MODIFY"]}),
    ("crm.activity.list", "activities", "LAST_UPDATED", {"select": ["ID", "LAST_UPDATED"]}),
    ("voximplant.statistic.get", "calls", None, None),
    ("crm.stagehistory.list", "stage_history", None, {"entityTypeId": 2}),
]


@pytest.fixture(scope="module")
def portal() -> PortalData:
    return generate(GeneratorConfig(seed=7, managers=6, departments=2, days=30, end_date=HISTORY_END))


def truth(portal: PortalData, table: str, stamp: str | None) -> list[tuple[int, Any]]:
    t = portal.tables[table]
    i, s = t.index_of(t.id_field), (t.index_of(stamp) if stamp else None)
    return sorted((int(row[i]), row[s] if s is not None else None) for row in t.rows)


def export_all(client: Bitrix24Client, portal: PortalData) -> None:
    for method, table, stamp, params in EXPORTS:
        got = [
            (int(r["ID"]), r[stamp] if stamp else None)
            for page in client.iter_keyset(method, params)
            for r in page
        ]
        assert got == truth(portal, table, stamp), (
            method
        )  # same ids and versions, in order: none lost or doubled
    users = [int(r["ID"]) for page in client.iter_offset("user.get") for r in page]
    assert sorted(users) == sorted(int(u["ID"]) for u in emulator.listed_users(portal))


def make_client(url: str, clock: Any = None, plan: str = "unlimited") -> Bitrix24Client:
    settings = ClientSettings(webhook_url=url, plan=plan, timeout_s=5, backoff_base_s=0.01, max_retries=8)
    return Bitrix24Client(settings, clock=clock)


def test_exports_equal_the_portal_at_many_rows_per_request(portal: PortalData) -> None:
    with running_emulator(portal, fast=True) as emu:
        client = make_client(emu.webhook_url)
        export_all(client, portal)
        served = emu.counters.requests
    meta = client.stats.as_metadata()
    assert meta["http_requests"] == served
    assert meta["rows"] == len(emulator.listed_users(portal)) + sum(
        len(portal.tables[t].rows) for t in ("deals", "activities", "calls", "stage_history")
    )
    assert meta["rows_per_request"] > 500  # small portal: a handful of requests per table
    assert meta["retries"] == 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_exact_exports_under_injected_faults(portal: PortalData, seed: int) -> None:
    clock = ManualClock()
    faults = Faults(probability=0.3, seed=seed, slow_seconds=0.2)
    with running_emulator(portal, fast=True, faults=faults, clock=clock) as emu:
        client = make_client(emu.webhook_url, clock=clock)
        export_all(client, portal)
        injected, served = sum(emu.counters.faults.values()), emu.counters.requests
    assert injected / served >= 0.10, emu.counters.snapshot()
    assert sum(client.stats.retries_by_cause.values()) >= injected - emu.counters.faults.get("slow", 0)


def test_a_busy_portal_is_waited_for_and_a_hopeless_one_named_with_what_to_do(portal: PortalData) -> None:
    """#19 point 11: the demo's local emulator on a loaded machine answered later than the client's 30 s
    and the demo failed with "unreachable for batch: timed out", no hint. At test scale: every answer
    takes 0.5 s; a client waiting 0.2 s per answer gives up naming the wait, the tries and what to do; one
    waiting long enough (as the demo's client now waits for the local emulator) exports everything."""
    with running_emulator(portal, fast=True, answer_delay_s=0.5) as emu:
        hopeless = ClientSettings(
            webhook_url=emu.webhook_url, plan="unlimited", timeout_s=0.2, backoff_base_s=0.01, max_retries=1
        )
        with pytest.raises(Bitrix24UnreachableError) as failure:
            Bitrix24Client(hopeless).call("user.get")
        patient = ClientSettings(
            webhook_url=emu.webhook_url, plan="unlimited", timeout_s=3, backoff_base_s=0.01
        )
        client = Bitrix24Client(patient)
        export_all(client, portal)
    message = str(failure.value)
    assert "unreachable for user.get: timed out — no answer within 0.2 s in 8 tries" in message, message
    assert "too busy" in message and "B24_REQUEST_TIMEOUT (seconds; now 0.2)" in message, message
    assert client.stats.retries_by_cause == {}  # nothing asked twice


def test_paced_stream_is_never_refused_by_the_cloud_rate_limit(portal: PortalData) -> None:
    clock = ManualClock()
    with running_emulator(portal, limits=Limits.cloud(), clock=clock) as emu:
        client = make_client(emu.webhook_url, clock=clock, plan="standard")
        for _ in range(160):
            client.call("crm.deal.list", {"start": -1, "select": ["ID"], "order": {"ID": "ASC"}})
        errors = dict(emu.counters.errors)
    assert "QUERY_LIMIT_EXCEEDED" not in errors
    assert client.stats.pacing_wait_seconds >= (160 - 50) * 0.5


def test_operating_budget_is_approached_but_never_hit(portal: PortalData) -> None:
    clock = ManualClock()
    limits = Limits.cloud().with_(drain_per_s=None, base_cost_s=45.0)  # every call costs 45 s of the 480 s
    with running_emulator(portal, limits=limits, clock=clock) as emu:
        client = make_client(emu.webhook_url, clock=clock)
        for _ in range(30):
            client.call("crm.deal.list", {"start": -1, "select": ["ID"]})
        errors = dict(emu.counters.errors)
    assert "OPERATION_TIME_LIMIT" not in errors
    assert client.stats.operating_peak_by_method["crm.deal.list"] < 480
    assert client.stats.pacing_wait_seconds > 600  # it waited for the window instead


def test_bad_secret_unknown_method_and_missing_scope_fail_cleanly(portal: PortalData) -> None:
    hook = Webhook(user_id=1, secret="limitedsecret77", scopes=frozenset({"user"}))
    with running_emulator(portal, webhooks=(Webhook(), hook)) as emu:
        wrong = emu.webhook_url.rsplit("/", 2)[0] + "/wrongsecret99/"
        with pytest.raises(Bitrix24AuthError) as auth:
            make_client(wrong).call("profile")
        with pytest.raises(Bitrix24MethodNotFoundError):
            make_client(emu.webhook_url).call("crm.deal.nosuchmethod")
        limited = emu.webhook_url.rsplit("/", 2)[0] + "/limitedsecret77/"
        with pytest.raises(Bitrix24ScopeError) as scope:
            list(make_client(limited).iter_keyset("crm.deal.list"))
    for info, secret in ((auth, "wrongsecret99"), (scope, "limitedsecret77")):
        assert secret not in "".join(traceback.format_exception(info.value))
        assert "\n" not in str(info.value)


def test_offset_paging_of_more_than_a_page_of_users_returns_each_once():
    """The emulator, like the portal, shuffles rows when no order is given: offset pages must ask for one."""
    portal = generate(GeneratorConfig(seed=3, managers=70, days=3, end_date=HISTORY_END))
    expected = {str(user["ID"]) for user in emulator.listed_users(portal)}
    assert len(expected) > 50
    with running_emulator(portal, fast=True) as emu:
        client = Bitrix24Client(ClientSettings(webhook_url=emu.webhook_url))
        rows = [row for page in client.iter_offset("user.get", {"ADMIN_MODE": "True"}) for row in page]
    assert sorted(str(row["ID"]) for row in rows) == sorted(expected)


def test_department_export_returns_every_department() -> None:
    """A real portal reads an upper-case ``SORT`` on department.get as a filter on the sort index too
    (docs/bitrix24-api.md, "department.get"); the emulator does the same, so the client must sort with the
    lower-case keys or it exports no department at all."""
    portal = generate(GeneratorConfig(seed=5, managers=12, departments=4, days=3, end_date=HISTORY_END))
    expected = sorted(int(row[0]) for row in portal.tables["departments"].rows)
    assert len(expected) > 1
    with running_emulator(portal, fast=True) as emu:
        client = Bitrix24Client(ClientSettings(webhook_url=emu.webhook_url))
        got = [int(row["ID"]) for page in client.iter_offset("department.get", {}) for row in page]
    assert got == expected


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (401, "METHOD_CONFIRM_WAITING"),
        (401, "ERROR_OAUTH"),
        (401, "APPLICATION_NOT_FOUND"),
        (401, "authorization_error"),
        (403, "METHOD_CONFIRM_DENIED"),
        (403, "user_access_error"),
        (403, "WRONG_AUTH_TYPE"),
        (403, "ALLOWED_ONLY_INTRANET_USER"),
    ],
)
def test_credential_refusals_fail_fast_with_the_code(status: int, code: str) -> None:
    """A refused credential is not retried: one request, one typed error naming the portal's code."""
    hook = Webhook(user_id=1, secret="refusedsecret", refusal=(status, code, "refused"))
    portal = generate(GeneratorConfig(seed=3, managers=6, days=2, end_date=HISTORY_END))
    with running_emulator(portal, fast=True, webhooks=(hook,)) as emu:
        client = Bitrix24Client(ClientSettings(webhook_url=f"{emu.base_url}/rest/1/refusedsecret/"))
        with pytest.raises(Bitrix24Error) as caught:
            client.call("user.get")
    assert client.stats.http_requests == 1
    assert code.lower() in str(caught.value).lower()
    assert "refusedsecret" not in str(caught.value)
