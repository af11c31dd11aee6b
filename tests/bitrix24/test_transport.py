"""``call``: the envelope, retries of every transient failure, typed one-line errors, no secret anywhere."""

from __future__ import annotations

import logging
import socket
import traceback

import pytest

from orchestration.bitrix24 import (
    Bitrix24AccessDeniedError,
    Bitrix24AuthError,
    Bitrix24Client,
    Bitrix24Error,
    Bitrix24MethodNotFoundError,
    Bitrix24PortalDeletedError,
    Bitrix24ResponseError,
    Bitrix24ScopeError,
    Bitrix24UnreachableError,
    ClientSettings,
)
from tests.bitrix24.scripted_portal import SECRET, FakeClock, Reply, error, ok, scripted_portal


def make_client(url: str, clock: FakeClock | None = None, **overrides: object) -> Bitrix24Client:
    settings = {"plan": "standard", "timeout_s": 2.0, "max_retries": 3, "backoff_base_s": 0.01, **overrides}
    return Bitrix24Client(ClientSettings(webhook_url=url, **settings), clock=clock or FakeClock())  # type: ignore[arg-type]


def assert_clean(exc: BaseException) -> None:
    text = str(exc)
    assert "\n" not in text
    assert SECRET not in text
    assert SECRET not in repr(exc)
    assert SECRET not in "".join(traceback.format_exception(exc))


def test_call_returns_the_envelope_and_sends_json_to_the_webhook_path() -> None:
    with scripted_portal() as portal:
        portal.script.append(ok([{"ID": "1"}], total=120, next=50))
        result = make_client(portal.webhook_url).call("crm.deal.list", {"filter": {">ID": 0}, "start": 0})
    assert result.result == [{"ID": "1"}]
    assert (result.total, result.next) == (120, 50)
    assert "duration" in result.time
    assert portal.seen[0].path == f"/rest/1/{SECRET}/crm.deal.list"
    assert portal.seen[0].body == {"filter": {">ID": 0}, "start": 0}


TRANSIENT = [
    ("http500", error(500, "INTERNAL_SERVER_ERROR", "boom"), "server_error_5xx"),
    ("html500", Reply(500, "<html><body>Bad gateway</body></html>"), "server_error_5xx"),
    ("html200", Reply(200, "<html>maintenance</html>"), "unparsable_body"),
    ("invalid_json", Reply(200, '{"result": [1, 2'), "unparsable_body"),
    ("truncated", Reply(200, {"result": list(range(200))}, kind="truncated"), "connection_error"),
    ("query_limit", error(503, "QUERY_LIMIT_EXCEEDED", "Too many requests"), "rate_limit_503"),
    ("query_limit_lower", error(503, "query_limit_exceeded"), "rate_limit_503"),
    ("overload", error(503, "OVERLOAD_LIMIT", "REST API is blocked due to overload"), "overload_503"),
]


@pytest.mark.parametrize(("name", "fault", "cause"), TRANSIENT, ids=[t[0] for t in TRANSIENT])
def test_transient_failures_are_retried_and_counted(name: str, fault: Reply, cause: str) -> None:
    with scripted_portal() as portal:
        portal.script += [fault, fault, ok({"ID": "7"})]
        client = make_client(portal.webhook_url)
        assert client.call("crm.deal.get", {"id": 7}).result == {"ID": "7"}
    assert len(portal.seen) == 3
    assert client.stats.retries_by_cause[cause] == 2
    assert client.stats.http_requests == 3


def test_connection_resets_are_retried_by_urllib3_and_counted() -> None:
    with scripted_portal() as portal:
        portal.script += [Reply(kind="reset"), Reply(kind="reset"), ok(1)]
        client = make_client(portal.webhook_url)
        assert client.call("profile").result == 1
    assert len(portal.seen) == 3 == client.stats.http_requests
    assert client.stats.retries_by_cause["connection_error"] == 2


def test_read_timeouts_are_retried() -> None:
    with scripted_portal() as portal:
        portal.script += [Reply(200, {"result": 0}, delay_s=1.0), ok(1)]
        client = make_client(portal.webhook_url, timeout_s=0.3)
        assert client.call("profile").result == 1
    assert client.stats.retries_by_cause["timeout"] == 1


FATAL = [
    (401, "NO_AUTH_FOUND", Bitrix24AuthError),
    (401, "INVALID_CREDENTIALS", Bitrix24AuthError),
    (401, "invalid_token", Bitrix24AuthError),
    (403, "insufficient_scope", Bitrix24ScopeError),
    (401, "INSUFFICIENT_SCOPE", Bitrix24ScopeError),
    (404, "ERROR_METHOD_NOT_FOUND", Bitrix24MethodNotFoundError),
    (403, "ACCESS_DENIED", Bitrix24AccessDeniedError),
    (500, "PORTAL_DELETED", Bitrix24PortalDeletedError),
    (410, "PORTAL_DELETED", Bitrix24PortalDeletedError),
    (400, "", Bitrix24ResponseError),
]


@pytest.mark.parametrize(("status", "code", "kind"), FATAL, ids=[f"{s}-{c or 'empty'}" for s, c, _ in FATAL])
def test_fatal_answers_raise_a_typed_one_line_error_without_retrying(
    status: int, code: str, kind: type[Bitrix24Error]
) -> None:
    with scripted_portal() as portal:
        portal.script.append(error(status, code, f"Wrong data for\n{SECRET}"))
        with pytest.raises(kind) as info:
            make_client(portal.webhook_url).call("crm.deal.list")
    assert len(portal.seen) == 1
    assert info.value.code == code and info.value.status == status
    assert "crm.deal.list" in str(info.value)
    assert_clean(info.value)


def test_unreachable_portal_names_the_host_not_the_secret() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_client(f"http://127.0.0.1:{port}/rest/1/{SECRET}/", max_retries=2)
    with pytest.raises(Bitrix24UnreachableError) as info:
        client.call("crm.deal.list")
    assert f"127.0.0.1:{port}" in str(info.value)
    assert_clean(info.value)
    assert client.stats.retries_by_cause["connection_error"] >= 3


def test_persistent_server_errors_give_up_after_max_retries() -> None:
    with (
        scripted_portal(lambda seen: error(500, "INTERNAL_SERVER_ERROR")) as portal,
        pytest.raises(Bitrix24UnreachableError) as info,
    ):
        make_client(portal.webhook_url, max_retries=3).call("crm.deal.list")
    assert len(portal.seen) == 4
    assert_clean(info.value)


def test_a_moved_portal_is_reported_with_its_new_host() -> None:
    with scripted_portal() as portal:
        portal.script.append(
            Reply(302, "", headers={"Location": f"https://new.bitrix24.ru/rest/1/{SECRET}/x"})
        )
        with pytest.raises(Bitrix24ResponseError) as info:
            make_client(portal.webhook_url).call("crm.deal.list")
    assert "new.bitrix24.ru" in str(info.value)
    assert_clean(info.value)


def test_operating_limit_429_waits_until_reset_then_retries() -> None:
    clock = FakeClock()
    reset_at = clock.now() + 100
    with scripted_portal() as portal:
        portal.script += [
            error(429, "OPERATION_TIME_LIMIT", "Method is blocked", time={"operating_reset_at": reset_at}),
            ok([]),
        ]
        client = make_client(portal.webhook_url, clock=clock)
        client.call("crm.deal.list")
    assert clock.now() >= reset_at
    assert client.stats.retries_by_cause["operating_limit_429"] == 1


def test_rate_limit_503_saturates_the_local_bucket() -> None:
    clock = FakeClock()
    with scripted_portal() as portal:
        portal.script += [error(503, "QUERY_LIMIT_EXCEEDED"), ok(1)]
        make_client(portal.webhook_url, clock=clock).call("profile")
    # The retry waited at least one drain interval of the standard plan (1 / 2 req/s).
    assert sum(clock.slept) >= 0.5


def test_no_secret_in_any_log_line_even_from_urllib3(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with scripted_portal() as portal:
        portal.script += [
            Reply(kind="reset"),
            Reply(kind="reset"),
            Reply(kind="reset"),
            Reply(kind="reset"),
            error(500, "INTERNAL_SERVER_ERROR"),
            ok(1),
        ]
        make_client(portal.webhook_url).call("crm.deal.list")
    assert "Retrying" in caplog.text  # urllib3's own warning went through the filter
    assert "/rest/1/***/" in caplog.text
    assert SECRET not in caplog.text


def test_repr_of_settings_and_client_hide_the_secret() -> None:
    settings = ClientSettings(webhook_url=f"https://p.bitrix24.ru/rest/1/{SECRET}/")
    assert SECRET not in repr(settings)
    assert SECRET not in repr(Bitrix24Client(settings))
    with pytest.raises(ValueError) as info:
        Bitrix24Client(ClientSettings(webhook_url=f"https://p.bitrix24.ru/rest/{SECRET}"))
    assert SECRET not in str(info.value)


def test_a_429_without_a_time_block_is_waited_out_however_many_times_it_comes() -> None:
    """The vendor's 429 has no ``time`` member and the budget can take 10 minutes to drain
    (docs/bitrix24-api.md, "Limits"): twelve refusals in a row are waited out, not a failed backfill."""
    clock = FakeClock()
    with scripted_portal() as portal:
        portal.script += [error(429, "OPERATION_TIME_LIMIT", "Method is blocked")] * 12 + [ok([])]
        client = make_client(portal.webhook_url, clock=clock)
        client.call("crm.deal.list")
    assert client.stats.retries_by_cause["operating_limit_429"] == 12
    assert 600 <= sum(clock.slept) <= 1800


def test_a_429_without_a_time_block_waits_for_the_last_good_answers_reset() -> None:
    clock = FakeClock()
    reset_at = clock.now() + 300
    with scripted_portal() as portal:
        portal.script += [
            ok([], time={"operating": 10.0, "operating_reset_at": reset_at}),
            error(429, "OPERATION_TIME_LIMIT", "Method is blocked"),
            ok([]),
        ]
        client = make_client(portal.webhook_url, clock=clock)
        client.call("crm.deal.list")
        client.call("crm.deal.list")
    assert reset_at <= clock.now() < reset_at + 60


def test_an_iso_operating_reset_at_is_understood() -> None:
    clock = FakeClock()
    iso = "2023-11-14T22:15:00+00:00"  # FakeClock's start (1.7e9) + 100 s
    with scripted_portal() as portal:
        portal.script += [
            error(429, "OPERATION_TIME_LIMIT", "Method is blocked", time={"operating_reset_at": iso}),
            ok([]),
        ]
        make_client(portal.webhook_url, clock=clock).call("crm.deal.list")
    assert 1_700_000_100 <= clock.now() < 1_700_000_160


def test_a_budget_that_never_drains_fails_once_past_the_documented_ceiling() -> None:
    clock = FakeClock()
    refuse = error(429, "OPERATION_TIME_LIMIT", "Method is blocked")
    with scripted_portal(lambda seen: refuse) as portal, pytest.raises(Bitrix24UnreachableError) as info:
        make_client(portal.webhook_url, clock=clock).call("crm.deal.list")
    assert sum(clock.slept) >= 1800
    assert "operating-time budget" in str(info.value) and "ceiling 1800 s" in str(info.value)
    assert_clean(info.value)


def test_while_the_portal_blocks_a_method_the_stats_say_which_and_until_when() -> None:
    """What the sync's progress bar shows during a 429 wait (and clears once the portal answers again)."""
    seen: list[tuple[str, float] | None] = []

    class WatchingClock(FakeClock):
        def sleep(self, seconds: float) -> None:
            seen.append(client.stats.operating_wait)
            super().sleep(seconds)

    clock = WatchingClock()
    reset_at = clock.now() + 100
    with scripted_portal() as portal:
        portal.script += [
            error(429, "OPERATION_TIME_LIMIT", "Method is blocked", time={"operating_reset_at": reset_at}),
            ok([]),
        ]
        client = make_client(portal.webhook_url, clock=clock)
        client.call("crm.deal.list")
    assert ("crm.deal.list", reset_at) in seen
    assert client.stats.operating_wait is None


def test_an_answer_without_result_is_named_for_what_it_is() -> None:
    """#18 point 6: not a bare "HTTP 200", and not retried (a proxy answering will answer the same)."""
    answer = Reply(200, {"time": {"start": 0}, "note": "maintenance"})
    with scripted_portal(lambda seen: answer) as portal, pytest.raises(Bitrix24ResponseError) as info:
        make_client(portal.webhook_url).call("crm.deal.list")
    assert len(portal.seen) == 1
    assert str(info.value).startswith(
        "Bitrix24 crm.deal.list: HTTP 200 but the answer has no 'result' (its keys: note, time)"
    ), info.value
    assert_clean(info.value)


@pytest.mark.parametrize(
    ("reply", "said"),
    [
        (Reply(500, "<!DOCTYPE html><html><body>502 Bad Gateway</body></html>"), "HTTP 500 and an HTML page"),
        (
            Reply(200, '{"result": [{"ID": "1", "TITLE": "cut'),
            "HTTP 200 and a JSON body cut off after",
        ),
    ],
    ids=["html", "truncated-json"],
)
def test_a_reachable_portal_answering_garbage_is_not_called_unreachable(reply: Reply, said: str) -> None:
    with scripted_portal(lambda seen: reply) as portal, pytest.raises(Bitrix24UnreachableError) as info:
        make_client(portal.webhook_url, max_retries=2).call("crm.deal.list")
    message = str(info.value)
    assert "unreachable" not in message
    host = f"127.0.0.1:{portal.port}"
    head = f"Bitrix24 portal {host} gave no usable answer to crm.deal.list (3 attempts); the last: {said}"
    assert message.startswith(head), message
    assert_clean(info.value)
