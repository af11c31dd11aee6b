"""Live mode: mutations, thread safety, and why offset paging under change loses or doubles rows."""

from __future__ import annotations

import time
from typing import Any

from conftest import Client
from portal_fixtures import make_portal

from bitrix24_emulator.testing import running_emulator


def _ids(body: dict[str, Any]) -> list[int]:
    return [int(r["ID"]) for r in body["result"]]


def test_offset_paging_skips_a_row_when_an_earlier_one_is_deleted() -> None:
    """Behaviour (b): a deletion on page 1 shifts page 2 by one row — row 51 is never seen."""
    with running_emulator(make_portal()) as emu:
        client = Client(emu.webhook_url)
        page1 = client.ok("crm.deal.list", order={"ID": "ASC"}, select=["ID"], start=0)
        emu.live.delete_deal(10)
        page2 = client.ok("crm.deal.list", order={"ID": "ASC"}, select=["ID"], start=page1["next"])
        seen = _ids(page1) + _ids(page2)
        assert 51 not in seen and len(set(seen)) == 100


def test_offset_paging_doubles_a_row_when_a_new_one_sorts_first() -> None:
    """Behaviour (b): a new deal at the head of an ID DESC order pushes row 81 onto page 2 again."""
    with running_emulator(make_portal()) as emu:
        client = Client(emu.webhook_url)
        page1 = client.ok("crm.deal.list", order={"ID": "DESC"}, select=["ID"], start=0)
        emu.live.new_deal()
        page2 = client.ok("crm.deal.list", order={"ID": "DESC"}, select=["ID"], start=page1["next"])
        seen = _ids(page1) + _ids(page2)
        assert seen.count(81) == 2


def test_keyset_paging_survives_the_same_changes() -> None:
    with running_emulator(make_portal()) as emu:
        client = Client(emu.webhook_url)
        seen, last = [], 0
        while True:
            body = client.ok(
                "crm.deal.list", order={"ID": "ASC"}, filter={">ID": last}, select=["ID"], start=-1
            )
            seen += _ids(body)
            if len(body["result"]) < 50:
                break
            last = seen[-1]
            if last == 50:
                emu.live.delete_deal(10)
            else:
                emu.live.new_deal()
        assert len(seen) == len(set(seen)) and seen == sorted(seen)
        assert set(range(1, 131)) - {10} <= set(
            seen
        )  # every row that existed throughout is read exactly once


def test_mutations_are_visible_to_watermark_queries() -> None:
    with running_emulator(make_portal()) as emu:
        client = Client(emu.webhook_url)
        watermark = emu.live.now_iso()
        bumped = emu.live.bump_deal(5)
        created = emu.live.new_deal()
        changed = client.ok(
            "crm.deal.list", filter={">=DATE_MODIFY": watermark}, order={"ID": "ASC"}, select=["ID"]
        )
        assert _ids(changed) == [bumped, created]
        history = client.ok("crm.stagehistory.list", entityTypeId=2, filter={"OWNER_ID": created})
        assert history["result"]["items"][0]["TYPE_ID"] == 1
        done = emu.live.complete_activity(3)
        activity = client.ok("crm.activity.get", id=done)["result"]
        assert (activity["COMPLETED"], activity["STATUS"]) == ("Y", "2")
        call = emu.live.new_call()
        assert client.ok("voximplant.statistic.get", FILTER={">ID": 130})["result"][0]["ID"] == str(call)
        assert emu.live.delete_deal(created) == created
        assert client.call("crm.deal.get", id=created)[0] == 400


def test_background_live_mode_while_reading() -> None:
    with running_emulator(make_portal(), live_rate=500.0) as emu:
        client = Client(emu.webhook_url)
        deadline = time.monotonic() + 20
        while emu.live.applied < 20 and time.monotonic() < deadline:
            for method in ("crm.deal.list", "voximplant.statistic.get"):
                last = 0
                while True:
                    params = {"filter": {">ID": last}, "order": {"ID": "ASC"}, "start": -1}
                    if method.startswith("vox"):
                        params = {"FILTER": {">ID": last}, "SORT": "ID", "ORDER": "ASC", "start": -1}
                    rows = _ids(client.ok(method, **params))
                    assert rows == sorted(set(rows))
                    if len(rows) < 50:
                        break
                    last = rows[-1]
        assert emu.live.applied >= 20
