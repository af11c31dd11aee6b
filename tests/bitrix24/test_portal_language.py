"""The portal's language from ``app.info``, against the emulator over HTTP: an OAuth app is told it, an
incoming webhook is refused as the vendor documents (docs/bitrix24-api.md § app.info); B24OPS_LANGUAGE's
default follows."""

from __future__ import annotations

import pytest
import requests

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.testing import running_emulator
from orchestration.bitrix24 import OAuthTokens
from orchestration.bitrix24.client import Bitrix24Client, ClientSettings
from orchestration.bitrix24.portal_language import portal_language
from orchestration.cli.language import configured_language
from orchestration.settings import Settings
from tests.support.emulated import HISTORY_END


@pytest.fixture(scope="module")
def emulator():
    portal = generate(GeneratorConfig(seed=3, managers=6, days=2, end_date=HISTORY_END, language="ru"))
    with running_emulator(portal, fast=True) as emu:
        yield emu


def _app_client(emu) -> Bitrix24Client:
    oauth = emu.service.oauth
    tokens = requests.get(
        f"{emu.base_url}/oauth/token/",
        params={
            "client_id": oauth.client_id,
            "client_secret": oauth.client_secret,
            "grant_type": "authorization_code",
            "code": oauth.authorization_code(),
        },
        timeout=10,
    ).json()
    return Bitrix24Client(
        ClientSettings(
            plan="unlimited",
            oauth_tokens=OAuthTokens(emu.rest_url, tokens["access_token"], tokens["refresh_token"]),
        )
    )


def test_an_oauth_app_is_told_the_portal_language(emulator) -> None:
    assert portal_language(_app_client(emulator)) == "ru"


def test_a_webhook_is_refused_app_info_as_the_vendor_documents(emulator) -> None:
    answer = requests.post(emulator.webhook_url + "app.info", json={}, timeout=10)
    assert (answer.status_code, answer.json()["error"]) == (400, "ACCESS_DENIED")
    assert answer.json()["error_description"] == "Access denied! Application context required"
    client = Bitrix24Client(ClientSettings(webhook_url=emulator.webhook_url, plan="unlimited", max_retries=1))
    assert portal_language(client) is None


def _oauth_settings(emu, tmp_path, **fields) -> Settings:
    oauth = emu.service.oauth
    return Settings(
        oauth_client_id=oauth.client_id,
        oauth_client_secret=oauth.client_secret,
        oauth_endpoint=emu.rest_url,
        oauth_token_url=f"{emu.base_url}/oauth/token/",
        oauth_refresh_token=_seed_refresh_token(emu),
        oauth_token_store=tmp_path / "tokens.json",
        plan="unlimited",
        **fields,
    )


def _seed_refresh_token(emu) -> str:
    oauth = emu.service.oauth
    return requests.get(
        f"{emu.base_url}/oauth/token/",
        params={
            "client_id": oauth.client_id,
            "client_secret": oauth.client_secret,
            "grant_type": "authorization_code",
            "code": oauth.authorization_code(),
        },
        timeout=10,
    ).json()["refresh_token"]


def test_the_language_is_the_setting_else_the_oauth_portals_else_english(emulator, tmp_path) -> None:
    """What `b24ops up` hands to Dagster and Superset (orchestration/cli/language.py)."""
    assert configured_language(_oauth_settings(emulator, tmp_path), ask_portal=True) == "ru"
    assert configured_language(_oauth_settings(emulator, tmp_path, language="en"), ask_portal=True) == "en"
    # a report does not call the portal; a webhook is not asked (app.info refuses it)
    assert configured_language(_oauth_settings(emulator, tmp_path)) == "en"
    webhook = Settings(webhook_url=emulator.webhook_url)
    assert configured_language(webhook, ask_portal=True) == "en"
