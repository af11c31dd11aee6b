"""Faults on demand (scripted and seeded-random) and their counters."""

from __future__ import annotations

import pytest
import requests
from portal_fixtures import make_portal

from bitrix24_emulator.server import Faults
from bitrix24_emulator.testing import running_emulator

SCRIPT = {
    1: "http500",
    2: "reset",
    3: "truncated",
    4: "invalid_json",
    5: "html",
    6: "overload",
    7: "query_limit",
    8: "operation_limit",
    9: "slow",
}


def test_scripted_faults_each_kind() -> None:
    faults = Faults(script=SCRIPT, slow_seconds=0.05)
    with running_emulator(make_portal(deals=3, calls=3), faults=faults) as emu:
        url = emu.webhook_url + "crm.deal.list"

        def get() -> requests.Response:
            return requests.get(url, timeout=10)

        first = get()
        assert (first.status_code, first.json()["error"]) == (500, "INTERNAL_SERVER_ERROR")
        with pytest.raises(requests.exceptions.ConnectionError):
            get()
        truncated = get()
        assert truncated.status_code == 200
        with pytest.raises(ValueError):
            truncated.json()
        invalid = get()
        assert invalid.status_code == 200 and invalid.text.startswith("<br />")
        html = get()
        assert html.status_code == 500 and html.headers["Content-Type"].startswith("text/html")
        assert [(r.status_code, r.json()["error"]) for r in (get(), get(), get())] == [
            (503, "OVERLOAD_LIMIT"),
            (503, "QUERY_LIMIT_EXCEEDED"),
            (429, "OPERATION_TIME_LIMIT"),
        ]
        slow = get()
        assert slow.status_code == 200 and len(slow.json()["result"]) == 3
        assert get().status_code == 200
        assert emu.counters.faults == {kind: 1 for kind in SCRIPT.values()}
        assert emu.counters.requests == 10


def _statuses(seed: int) -> list[int]:
    faults = Faults(probability=0.3, seed=seed, kinds=("http500", "overload", "html"))
    with running_emulator(make_portal(deals=3, calls=3), faults=faults) as emu:
        return [
            requests.get(emu.webhook_url + "crm.deal.get?id=1", timeout=10).status_code for _ in range(30)
        ]


def test_random_faults_are_reproducible_from_the_seed() -> None:
    first = _statuses(seed=5)
    assert first == _statuses(seed=5)
    assert {500, 503, 200} <= set(first)


def test_unknown_fault_kind_is_rejected() -> None:
    with pytest.raises(ValueError):
        Faults(script={1: "meteor"})
