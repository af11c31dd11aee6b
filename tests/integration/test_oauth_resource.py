"""A portal connected through an OAuth app: emulator over HTTP → ``build_resources()`` → ``raw/users``.

The emulator's token server rotates the refresh token on every refresh and its manual clock expires the access
token, so the test sees the product's whole OAuth life: seed refresh token → first access token → expiry →
one refresh → rotated pair in the store → the next run starts from the store (the old token is dead).
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import dagster as dg
import pytest
import requests

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.server.clock import ManualClock
from bitrix24_emulator.testing import listed_users, running_emulator
from orchestration.defs.definitions import build_resources
from orchestration.defs.ingestion.raw_snapshots import snapshot_assets
from orchestration.warehouse.bootstrap import connect
from tests.support.emulated import HISTORY_END

pytestmark = pytest.mark.integration

ACCESS_TTL_S = 600.0
USERS = next(a for a in snapshot_assets if a.key == dg.AssetKey(["raw", "users"]))


@pytest.fixture(scope="module")
def portal():
    return generate(GeneratorConfig(seed=11, managers=8, days=5, end_date=HISTORY_END))


def _token(emu, **params: str) -> requests.Response:
    oauth = emu.service.oauth
    query = {"client_id": oauth.client_id, "client_secret": oauth.client_secret, **params}
    return requests.get(f"{emu.base_url}/oauth/token/", params=query, timeout=10)


def _oauth_env(monkeypatch, emu, refresh_token: str, store: Path, location) -> None:
    monkeypatch.delenv("B24_WEBHOOK_URL", raising=False)
    monkeypatch.setenv("WAREHOUSE_URL", location.libpq_url())
    monkeypatch.setenv("B24_OAUTH_CLIENT_ID", emu.service.oauth.client_id)
    monkeypatch.setenv("B24_OAUTH_CLIENT_SECRET", emu.service.oauth.client_secret)
    monkeypatch.setenv("B24_OAUTH_ENDPOINT", emu.rest_url)
    monkeypatch.setenv("B24_OAUTH_TOKEN_URL", f"{emu.base_url}/oauth/token/")
    monkeypatch.setenv("B24_OAUTH_REFRESH_TOKEN", refresh_token)
    monkeypatch.setenv("B24_OAUTH_TOKEN_STORE", str(store))


def _materialise(tmp_path: Path, name: str) -> tuple[dg.ExecuteInProcessResult, str]:
    """Run ``raw/users``; return the result and every event and log line of the run as one text."""
    with dg.DagsterInstance.ephemeral(tempdir=str(tmp_path / name)) as instance:
        result = dg.materialize([USERS], resources=build_resources(), instance=instance)
        text = "\n".join(repr(entry) for entry in instance.all_logs(result.run_id))
    return result, text


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, object]:
    [materialisation] = result.asset_materializations_for_node(USERS.op.name)
    return {key: value.value for key, value in materialisation.metadata.items()}


def _users_in_raw(location) -> int:
    conn = connect(location)
    try:
        with conn.cursor() as cur:
            cur.execute("select count(distinct id) from raw.users")
            return cur.fetchone()[0]
    finally:
        conn.close()


def test_oauth_run_refreshes_an_expired_token_once_and_the_next_run_uses_the_rotated_one(
    fresh_database, portal, monkeypatch, tmp_path, capfd
):
    clock = ManualClock()
    store = tmp_path / "data" / "oauth.json"
    with running_emulator(portal, fast=True, clock=clock, oauth_access_ttl_s=ACCESS_TTL_S) as emu:
        code = emu.service.oauth.authorization_code()
        seed = _token(emu, grant_type="authorization_code", code=code).json()["refresh_token"]
        _oauth_env(monkeypatch, emu, seed, store, fresh_database)

        # Run 1: only the seed refresh token → one exchange, the pair lands in the store.
        first, first_log = _materialise(tmp_path, "run1")
        assert first.success
        assert _users_in_raw(fresh_database) == len(listed_users(portal))
        assert stat.S_IMODE(store.stat().st_mode) == 0o600
        after_first = json.loads(store.read_text())
        assert after_first["refresh_token"] != seed and after_first["access_token"]
        assert _token(emu, grant_type="refresh_token", refresh_token=seed).json()["error"] == "invalid_grant"

        # Run 2: the stored access token has expired → 401 expired_token → exactly one refresh.
        clock.advance(ACCESS_TTL_S + 1)
        second, second_log = _materialise(tmp_path, "run2")
        assert second.success
        assert _metadata(second)["retries_by_cause"] == {"token_expired": 1}
        after_second = json.loads(store.read_text())
        assert after_second["refresh_token"] != after_first["refresh_token"]
        rejected = _token(emu, grant_type="refresh_token", refresh_token=after_first["refresh_token"])
        assert rejected.status_code == 400 and rejected.json()["error"] == "invalid_grant"

        # Run 3: starts from the store (the env's seed is long dead) and refreshes with the rotated token.
        clock.advance(ACCESS_TTL_S + 1)
        third, third_log = _materialise(tmp_path, "run3")
        assert third.success
        assert _metadata(third)["retries_by_cause"] == {"token_expired": 1}
        after_third = json.loads(store.read_text())
        assert after_third["refresh_token"] not in {
            after_first["refresh_token"],
            after_second["refresh_token"],
        }

    captured = capfd.readouterr()
    everything = "\n".join([first_log, second_log, third_log, captured.out, captured.err])
    secrets = [seed, emu.service.oauth.client_secret]
    secrets += [
        pair[k]
        for pair in (after_first, after_second, after_third)
        for k in ("access_token", "refresh_token")
    ]
    assert [s for s in secrets if s in everything] == []


def test_a_webhook_wins_over_oauth_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("B24_WEBHOOK_URL", "http://127.0.0.1:9/rest/1/hooksecret/")
    monkeypatch.setenv("B24_OAUTH_CLIENT_ID", "app.1")
    monkeypatch.setenv("B24_OAUTH_CLIENT_SECRET", "client-secret")
    monkeypatch.setenv("B24_OAUTH_ENDPOINT", "http://127.0.0.1:9/rest/")
    monkeypatch.setenv("B24_OAUTH_REFRESH_TOKEN", "refresh")
    resource = build_resources()["bitrix24"].process_config_and_initialize()
    assert resource.oauth_client_secret == "" and resource.oauth_refresh_token == ""
    assert resource.client().auth.endpoint("user.get") == "http://127.0.0.1:9/rest/1/hooksecret/user.get"


def test_without_any_credentials_the_resource_says_what_to_set(monkeypatch):
    for name in ("B24_WEBHOOK_URL", "B24_OAUTH_CLIENT_ID", "B24_OAUTH_CLIENT_SECRET", "B24_OAUTH_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValueError, match="B24_WEBHOOK_URL, or B24_OAUTH_CLIENT_ID"):
        build_resources()["bitrix24"].process_config_and_initialize().client()
