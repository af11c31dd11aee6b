"""The messenger methods as the vendor's code validates and answers them (docs/bitrix24-api.md
§ im.notify.system.add, § im.message.add), over HTTP, and the outbox that records what was delivered."""

from __future__ import annotations

from typing import Any

import requests
from portal_fixtures import make_portal

from bitrix24_emulator.server import ManualClock, Webhook
from bitrix24_emulator.server.auth import ALL_SCOPES
from bitrix24_emulator.testing import running_emulator


def post(url: str, **params: Any) -> tuple[int, Any]:
    response = requests.post(url, json=params, timeout=10)
    return response.status_code, response.json()


def test_system_notification_is_recorded_with_the_portal_clock_and_no_author() -> None:
    clock = ManualClock(1_760_000_000.0)
    with running_emulator(make_portal(deals=1, calls=1), clock=clock) as emu:
        # keys in any case, MESSAGE trimmed (the vendor upper-cases the keys and trims the text)
        status, body = post(emu.webhook_url + "im.notify.system.add", user_id=5, message="  late deal  ")
        assert status == 200 and isinstance(body["result"], int), body
        (sent,) = emu.outbox()
        assert (sent.id, sent.kind, sent.user_id, sent.from_user_id) == (body["result"], "notify", 5, 0)
        assert (sent.message, sent.sent_at) == ("late deal", 1_760_000_000.0)
        status, body = post(emu.webhook_url + "im.notify.personal.add", TO=6, MESSAGE="hi")
        assert status == 200 and emu.outbox()[-1].from_user_id == 1  # the webhook's owner


def test_notification_errors_follow_the_vendor() -> None:
    with running_emulator(make_portal(deals=1, calls=1)) as emu:
        url = emu.webhook_url + "im.notify.system.add"
        assert post(url, MESSAGE="x") == (
            400,
            {"error": "USER_ID_EMPTY", "error_description": "User ID can't be empty"},
        )
        assert post(url, USER_ID=5, MESSAGE="   ") == (
            400,
            {"error": "MESSAGE_EMPTY", "error_description": "Message can't be empty"},
        )
        # an unknown or inactive recipient: a success envelope with result false, nothing delivered
        assert post(url, USER_ID=999, MESSAGE="x")[1]["result"] is False
        assert post(url, USER_ID=10, MESSAGE="x")[1]["result"] is False
        assert emu.outbox() == []


def test_without_the_im_scope_nothing_is_sent() -> None:
    hook = Webhook(1, "no-im", scopes=ALL_SCOPES - {"im"})
    with running_emulator(make_portal(deals=1, calls=1), webhooks=(hook,)) as emu:
        status, body = post(emu.webhook_url + "im.notify.system.add", USER_ID=5, MESSAGE="x")
        assert body["error"] == "insufficient_scope" and status in (401, 403)
        assert emu.outbox() == []


def test_chat_messages() -> None:
    with running_emulator(make_portal(deals=1, calls=1)) as emu:
        url = emu.webhook_url + "im.message.add"
        chat = emu.add_chat(7)
        closed = emu.add_chat(8, writable=False)
        status, body = post(url, DIALOG_ID=chat, MESSAGE="digest")
        assert status == 200 and isinstance(body["result"], int)
        assert post(url, DIALOG_ID=closed, MESSAGE="x")[1]["error"] == "ACCESS_ERROR"
        assert post(url, DIALOG_ID="chat99", MESSAGE="x")[1]["error"] == "PARAMS_ERROR"
        assert post(url, DIALOG_ID="999", MESSAGE="x")[1]["error"] == "USER_NOT_FOUND"
        assert post(url, DIALOG_ID=chat, MESSAGE=" ")[1]["error"] == "MESSAGE_EMPTY"
        assert post(url, MESSAGE="x")[1]["error"] == "PARAMS_ERROR"
        assert [(d.kind, d.dialog_id, d.message) for d in emu.outbox()] == [("message", "chat7", "digest")]
