"""`b24ops alerts test --to USER` sends one test notification the way alerts go, and says in one line why it
could not — the real CLI in a subprocess against the emulator over HTTP. The warehouse is pointed at a
closed port: the command must not need it (it writes nothing to the alert ledger)."""

from __future__ import annotations

import os
import subprocess
import sys

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.server.auth import ALL_SCOPES, Webhook
from bitrix24_emulator.testing import listed_users, running_emulator
from orchestration.alerts.messages import probe_text

PORTAL = generate(GeneratorConfig(seed=3, managers=3, departments=1, days=2))
USER = int(listed_users(PORTAL)[0]["ID"])
SECRET = "s3cr3tWebhookKey"
NO_WAREHOUSE = "postgresql://b24ops:pw@127.0.0.1:9/b24ops"


def alerts_test(webhook_url: str, user: int) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("B24", "WAREHOUSE_URL"))}
    env |= {
        "B24_WEBHOOK_URL": webhook_url,
        "B24_ALERTS_LANGUAGE": "ru",
        "WAREHOUSE_URL": NO_WAREHOUSE,
        "COLUMNS": "200",
    }
    command = [sys.executable, "-m", "orchestration.cli", "alerts", "test", "--to", str(user)]
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False)


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ") and "Traceback" not in line
    return line


def test_the_test_notification_reaches_the_user_in_the_alerts_language() -> None:
    with running_emulator(PORTAL) as emu:
        result = alerts_test(emu.webhook_url, USER)
        sent = emu.outbox()
    assert result.returncode == 0, result.stdout + result.stderr
    assert [(d.kind, d.method, d.dialog_id, d.message) for d in sent] == [
        ("notify", "im.notify.system.add", str(USER), probe_text("ru"))
    ]
    assert probe_text("ru").startswith("Тестовое сообщение")  # the catalogue's Russian, not the msgid
    assert result.stdout.strip() == (
        f"sent a test notification to user {USER} with im.notify.system.add (notification {sent[0].id})"
    )


def test_an_unknown_user_is_one_line() -> None:
    with running_emulator(PORTAL) as emu:
        line = one_error_line(alerts_test(emu.webhook_url, 999999))
        assert emu.outbox() == []
    assert "no notification created for user 999999" in line


def test_a_webhook_without_the_im_scope_is_one_line_without_its_secret() -> None:
    without_im = Webhook(1, SECRET, scopes=ALL_SCOPES - {"im"})
    with running_emulator(PORTAL, webhooks=(without_im,)) as emu:
        line = one_error_line(alerts_test(emu.webhook_url, USER))
        assert emu.outbox() == []
    assert "insufficient_scope" in line and SECRET not in line


def test_an_unreachable_portal_is_one_line_without_the_secret() -> None:
    line = one_error_line(alerts_test(f"http://127.0.0.1:9/rest/1/{SECRET}/", USER))
    assert "unreachable" in line and SECRET not in line
