"""Contract tests for the portal-state and transport error codes (docs/bitrix24-api.md § Errors), over HTTP.

Each test asserts the whole error body (status, ``error``, ``error_description``) a client classifies by,
and checks the control case so the refusal is tied to the configured condition and nothing else.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from portal_fixtures import make_portal

from bitrix24_emulator.server import ManualClock, ServerConfig, Webhook
from bitrix24_emulator.testing import running_emulator


def answer(response: requests.Response) -> tuple[int, dict[str, Any]]:
    return response.status_code, response.json()


def test_deleted_portal_answers_portal_deleted_before_auth_and_rate_limit() -> None:
    with running_emulator(make_portal(deals=2, calls=2), portal_state="deleted") as emu:
        expected = (410, {"error": "PORTAL_DELETED", "error_description": "Portal was deleted"})
        assert answer(requests.get(emu.webhook_url + "crm.deal.list", timeout=10)) == expected
        assert answer(requests.get(emu.base_url + "/rest/1/wrong/user.get", timeout=10)) == expected
        assert answer(requests.get(emu.rest_url + "user.get", params={"auth": "x"}, timeout=10)) == expected
        assert answer(requests.post(emu.webhook_url + "batch", json={"cmd": {}}, timeout=10)) == expected
        assert emu.counters.snapshot()["errors"] == {"PORTAL_DELETED": 4}


def test_portal_deleted_status_follows_the_docs_when_configured() -> None:
    config = {"portal_state": "deleted", "portal_deleted_status": 500}
    with running_emulator(make_portal(deals=2, calls=2), **config) as emu:
        status, body = answer(requests.get(emu.webhook_url + "user.get", timeout=10))
        assert (status, body["error"]) == (500, "PORTAL_DELETED")


def test_payment_required_refuses_authenticated_callers_only() -> None:
    with running_emulator(make_portal(deals=2, calls=2), portal_state="payment_required") as emu:
        expected = (401, {"error": "PAYMENT_REQUIRED", "error_description": "Payment required"})
        assert answer(requests.get(emu.webhook_url + "crm.deal.list", timeout=10)) == expected
        assert answer(requests.post(emu.webhook_url + "batch", json={"cmd": {}}, timeout=10)) == expected
        bad_secret = answer(requests.get(emu.base_url + "/rest/1/wrong/user.get", timeout=10))
        assert (bad_secret[0], bad_secret[1]["error"]) == (401, "NO_AUTH_FOUND")
        assert emu.counters.snapshot()["calls"] == {}


def test_payment_required_applies_to_oauth_applications() -> None:
    clock = ManualClock()
    with running_emulator(make_portal(deals=2, calls=2), clock=clock, portal_state="payment_required") as emu:
        oauth = emu.service.oauth
        grant = {
            "client_id": oauth.client_id,
            "client_secret": oauth.client_secret,
            "grant_type": "authorization_code",
            "code": oauth.authorization_code(),
        }
        token = requests.get(emu.base_url + "/oauth/token/", params=grant, timeout=10).json()["access_token"]
        response = requests.get(emu.rest_url + "user.get", params={"auth": token}, timeout=10)
        assert answer(response) == (
            401,
            {"error": "PAYMENT_REQUIRED", "error_description": "Payment required"},
        )


def test_deactivated_webhook_user_answers_authorization_error() -> None:
    hooks = (Webhook(1, "alive"), Webhook(2, "gone", active=False))
    with running_emulator(make_portal(deals=2, calls=2), webhooks=hooks) as emu:
        base = emu.base_url + "/rest/"
        assert requests.get(base + "1/alive/crm.deal.list", timeout=10).status_code == 200
        assert answer(requests.get(base + "2/gone/crm.deal.list", timeout=10)) == (
            401,
            {"error": "authorization_error", "error_description": "Unable to authorize user"},
        )
        wrong = answer(requests.get(base + "2/not-the-secret/crm.deal.list", timeout=10))
        assert (wrong[0], wrong[1]["error"]) == (401, "NO_AUTH_FOUND")


def test_https_only_portal_refuses_plain_http() -> None:
    with running_emulator(make_portal(deals=2, calls=2), require_https=True) as emu:
        assert emu.webhook_url.startswith("http://")
        assert answer(requests.get(emu.webhook_url + "crm.deal.list", timeout=10)) == (
            400,
            {"error": "INVALID_REQUEST", "error_description": "Https required."},
        )


def test_https_only_portal_serves_https() -> None:
    with running_emulator(make_portal(deals=2, calls=2), https=True, require_https=True) as emu:
        response = requests.get(emu.webhook_url + "crm.deal.list", verify=str(emu.cert_path), timeout=10)
        assert response.status_code == 200
        assert sorted(row["ID"] for row in response.json()["result"]) == ["1", "2"]


def test_unknown_portal_state_is_rejected() -> None:
    with pytest.raises(ValueError, match="portal_state"):
        ServerConfig(portal_state="closed")  # type: ignore[arg-type]


# The rest of docs/bitrix24-api.md § Errors: refusals of a credential before any method runs.
CREDENTIAL_REFUSALS = [
    (401, "METHOD_CONFIRM_WAITING", "Waiting for confirmation"),
    (401, "ERROR_OAUTH", "Application not installed"),
    (401, "APPLICATION_NOT_FOUND", "Application not found"),
    (403, "METHOD_CONFIRM_DENIED", "Method call denied"),
    (403, "user_access_error", "The user does not have access to the application."),
    (403, "WRONG_AUTH_TYPE", "Current authorization type is denied for this method"),
    (403, "ALLOWED_ONLY_INTRANET_USER", "Method is allowed only for intranet users"),
    (500, "ERROR_UNEXPECTED_ANSWER", "Server returned an unexpected response."),
]


@pytest.mark.parametrize(("status", "code", "text"), CREDENTIAL_REFUSALS)
def test_credential_refusals_of_the_notes_table(status: int, code: str, text: str) -> None:
    hook = Webhook(user_id=1, secret="refused", refusal=(status, code, text))
    with running_emulator(make_portal(deals=5, calls=5), fast=True, webhooks=(hook,)) as emu:
        response = requests.get(f"{emu.base_url}/rest/1/refused/user.get", timeout=10)
    assert response.status_code == status
    assert response.json() == {"error": code, "error_description": text}
