"""Leaky bucket, operating budget, request cap — with a manual clock, so nothing sleeps.

Facts: docs/bitrix24-api.md § Limits.
"""

from __future__ import annotations

from typing import Any

import requests
from conftest import Client
from portal_fixtures import make_portal

from bitrix24_emulator.server import Limits, ManualClock
from bitrix24_emulator.testing import running_emulator

NO_RATE = Limits(drain_per_s=None)


def test_leaky_bucket_burst_drain_and_batch_counts_once() -> None:
    clock = ManualClock()
    with running_emulator(make_portal(deals=5, calls=5), limits=Limits.cloud(), clock=clock) as emu:
        client = Client(emu.webhook_url)
        batch = {f"k{i}": "crm.deal.get?id=1" for i in range(50)}
        assert client.call("batch", cmd=batch)[0] == 200
        for _ in range(49):
            assert client.call("crm.deal.get", id=1)[0] == 200
        assert client.call("crm.deal.get", id=1) == (
            503,
            {"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"},
        )
        clock.advance(1.0)  # drains 2
        assert [client.call("crm.deal.get", id=1)[0] for _ in range(3)] == [200, 200, 503]
        assert emu.counters.errors["QUERY_LIMIT_EXCEEDED"] == 2


def test_enterprise_plan_has_a_bigger_bucket() -> None:
    clock = ManualClock()
    with running_emulator(
        make_portal(deals=2, calls=2), limits=Limits.cloud("enterprise"), clock=clock
    ) as emu:
        client = Client(emu.webhook_url)
        assert {client.call("crm.deal.get", id=1)[0] for _ in range(250)} == {200}
        assert client.call("crm.deal.get", id=1)[0] == 503
        clock.advance(1.0)
        assert [client.call("crm.deal.get", id=1)[0] for _ in range(6)] == [200] * 5 + [503]


def _budget_limits(**changes: Any) -> Limits:
    # 130 deals counted per offset page: 0.005 + 130 * 0.003 = 0.395 s per call
    return NO_RATE.with_(operating_limit_s=1.0, count_cost_per_row_s=0.003, **changes)


def test_operating_budget_blocks_the_method_after_the_crossing_call() -> None:
    clock = ManualClock()
    with running_emulator(make_portal(), limits=_budget_limits(), clock=clock) as emu:
        client = Client(emu.webhook_url)
        used = []
        for _ in range(3):
            status, body = client.call("crm.deal.list", start=0)
            assert status == 200
            used.append(body["time"]["operating"])
            clock.advance(1)
        assert used == [0.395, 0.79, 1.185]  # the third call crosses the limit and still completes
        assert body["time"]["operating_reset_at"] == int(clock.now() - 3 + 600)
        assert client.call("crm.deal.list", start=-1) == (
            429,
            {
                "error": "OPERATION_TIME_LIMIT",
                "error_description": "Method is blocked due to operation time limit.",
            },
        )
        assert client.call("crm.activity.list", start=-1)[0] == 200  # other methods keep working
        inside = client.call("batch", cmd={"d": "crm.deal.get?id=1", "l": "crm.deal.list?start=-1"})[1][
            "result"
        ]
        assert inside["result_error"]["l"]["error"] == "OPERATION_TIME_LIMIT" and "d" in inside["result"]
        clock.advance(600)  # the buckets expire
        assert client.call("crm.deal.list", start=0)[0] == 200
        assert emu.counters.operating["crm.deal.list"] > 1.5


def test_batch_billing_mode_charges_batch() -> None:
    clock = ManualClock()
    with running_emulator(make_portal(), limits=_budget_limits(batch_billing="batch"), clock=clock) as emu:
        client = Client(emu.webhook_url)
        body = client.call(
            "batch", cmd=["crm.deal.list?start=0", "crm.deal.list?start=50", "crm.deal.list?start=100"]
        )[1]
        assert round(body["time"]["operating"], 3) == 1.185
        assert (
            client.call("batch", cmd=["crm.deal.get?id=1"])[0] == 200
        )  # batch itself is checked per sub-call
        assert client.call("batch", cmd=["crm.deal.get?id=1"])[1]["result"]["result_error"][0]["error"] == (
            "OPERATION_TIME_LIMIT"
        )
        assert client.call("crm.deal.list", start=0)[0] == 200  # the method's own budget is untouched


def test_request_cap_cuts_off_with_an_html_504() -> None:
    with running_emulator(make_portal(), limits=_budget_limits(request_cap_s=0.2)) as emu:
        response = requests.get(emu.webhook_url + "crm.deal.list", timeout=10)
        assert response.status_code == 504 and response.headers["Content-Type"].startswith("text/html")
        assert requests.get(emu.webhook_url + "crm.deal.list?start=-1", timeout=10).status_code == 200


def test_naive_offset_paging_exhausts_the_budget_keyset_batches_do_not() -> None:
    """Behaviour (a) of the issue: 3,000 deals, the budget scaled like the table (480 s per 10^6 rows)."""
    rows = 3000
    limits = NO_RATE.with_(operating_limit_s=480.0 * rows / 1_000_000)  # default cost model, scaled budget
    clock = ManualClock()
    with running_emulator(make_portal(deals=rows, calls=5), limits=limits, clock=clock) as emu:
        client = Client(emu.webhook_url)
        seen, start, status = 0, 0, 200
        while start is not None:
            status, body = client.call("crm.deal.list", order={"ID": "ASC"}, select=["ID"], start=start)
            if status != 200:
                break
            seen += len(body["result"])
            start = body.get("next")
        assert (status, body["error"]) == (429, "OPERATION_TIME_LIMIT") and seen < rows

    with running_emulator(make_portal(deals=rows, calls=5), limits=limits, clock=ManualClock()) as emu:
        client = Client(emu.webhook_url)
        keyset, last = [], 0
        while True:
            cmd = {"p0": f"crm.deal.list?order[ID]=ASC&start=-1&select[]=ID&filter[>ID]={last}"}
            for i in range(1, 50):
                cmd[f"p{i}"] = (
                    f"crm.deal.list?order[ID]=ASC&start=-1&select[]=ID&filter[>ID]=$result[p{i - 1}][49][ID]"
                )
            status, body = client.call("batch", cmd=cmd, halt=1)
            assert status == 200 and body["result"]["result_error"] == []
            pages = [page for page in body["result"]["result"].values() if isinstance(page, list)]
            got = [int(r["ID"]) for page in pages for r in page]
            keyset += got
            if len(pages[-1]) == 50 and got:
                last = got[-1]
                continue
            break
        assert keyset == list(range(1, rows + 1))
        assert emu.counters.operating["crm.deal.list"] < limits.operating_limit_s
