"""`b24ops check` names each misconfiguration precisely — one test per case, the real CLI in a subprocess."""

import os
import subprocess
import sys

import pytest

from bitrix24_emulator.server.auth import ALL_SCOPES, Webhook
from bitrix24_emulator.testing import running_emulator
from tests.emulator.portal_fixtures import make_portal

SECRET = "s3cr3tWebhookKey"


def run_check(env_overrides: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"B24_WEBHOOK_URL", "WAREHOUSE_URL"}}
    env.update(env_overrides)
    env["COLUMNS"] = "200"  # one table row per line, so each check is greppable
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "check"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def row(output: str, name: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(f"│ {name} "))


@pytest.fixture(scope="module")
def portal():
    return make_portal()


def test_everything_fine(portal, pg_server):
    with running_emulator(portal, fast=True) as emu:
        result = run_check({"B24_WEBHOOK_URL": emu.webhook_url})
    assert result.returncode == 0, result.stdout
    for scope in ("user", "department", "crm", "telephony", "calendar"):
        assert "ok" in row(result.stdout, f"scope {scope}")


def test_wrong_portal_address():
    result = run_check({"B24_WEBHOOK_URL": f"http://127.0.0.1:9/rest/1/{SECRET}/"})
    assert result.returncode == 1
    line = row(result.stdout, "portal")
    assert "127.0.0.1:9 unreachable" in line and "connection refused" in line
    assert SECRET not in result.stdout + result.stderr


@pytest.mark.parametrize("url", ["https://portal.example/some/page", "https://portal.example/rest/abc"])
def test_not_a_webhook_url(url):
    result = run_check({"B24_WEBHOOK_URL": url})
    assert result.returncode == 1
    assert "is not a webhook URL" in row(result.stdout, "portal")
    assert "Traceback" not in result.stderr


def test_bad_secret(portal):
    with running_emulator(portal, fast=True) as emu:
        wrong = emu.webhook_url.rsplit("/", 2)[0] + "/not-the-secret/"
        result = run_check({"B24_WEBHOOK_URL": wrong})
    assert result.returncode == 1
    line = row(result.stdout, "portal")
    assert "FAIL" in line and "secret is wrong" in line
    assert "not-the-secret" not in result.stdout + result.stderr


def test_missing_scope(portal):
    webhook = Webhook(user_id=1, secret=SECRET, scopes=ALL_SCOPES - {"telephony"})
    with running_emulator(portal, fast=True, webhooks=(webhook,)) as emu:
        result = run_check({"B24_WEBHOOK_URL": f"{emu.base_url}/rest/1/{SECRET}/"})
    assert result.returncode == 1
    assert "ok" in row(result.stdout, "scope crm")
    line = row(result.stdout, "scope telephony")
    assert "FAIL" in line and "add the scope 'telephony'" in line
    assert SECRET not in result.stdout + result.stderr


def test_warehouse_down():
    result = run_check({"WAREHOUSE_URL": "postgresql://bi:DbPass99@127.0.0.1:9/sales"})
    assert result.returncode == 1
    line = row(result.stdout, "warehouse")
    assert "cannot connect to the warehouse" in line and "DbPass99" not in result.stdout
