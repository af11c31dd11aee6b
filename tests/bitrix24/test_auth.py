"""OAuth: refresh once on ``expired_token``, hand the rotated refresh token over, never leak a token."""

from __future__ import annotations

import traceback

import pytest

from orchestration.bitrix24 import Bitrix24AuthError, Bitrix24Client, ClientSettings, OAuthTokens
from tests.bitrix24.scripted_portal import FakeClock, Reply, Seen, error, ok, scripted_portal

ACCESS, REFRESH, CLIENT_SECRET = "acc-old-123456", "ref-old-123456", "cli-secret-987654"


class OAuthPortal:
    """REST under /rest/<method> taking ``auth`` in the body, and a token server under /oauth/token/."""

    def __init__(self, expire_after_refresh: bool = False, grant_error: str | None = None) -> None:
        self.valid = {ACCESS}
        self.refreshes: list[dict[str, str]] = []
        self.expire_after_refresh, self.grant_error = expire_after_refresh, grant_error

    def __call__(self, seen: Seen) -> Reply:
        if seen.path.startswith("/oauth/token"):
            self.refreshes.append(seen.query)
            if self.grant_error:
                return error(400, self.grant_error, "The refresh token is invalid")
            n = len(self.refreshes)
            if not self.expire_after_refresh:
                self.valid = {f"acc-new-{n}"}
            return Reply(
                200,
                {
                    "access_token": f"acc-new-{n}",
                    "refresh_token": f"ref-new-{n}",
                    "expires": 1,
                    "expires_in": 3600,
                    "client_endpoint": "",
                    "domain": "x",
                },
            )
        if seen.body.get("auth") not in self.valid:
            return error(401, "expired_token", "The access token provided has expired.")
        return ok({"ID": "1"})


def make(portal_base: str, on_rotate: list[OAuthTokens]) -> Bitrix24Client:
    settings = ClientSettings(
        oauth_tokens=OAuthTokens(f"{portal_base}/rest/", ACCESS, REFRESH),
        oauth_client_id="app.1",
        oauth_client_secret=CLIENT_SECRET,
        oauth_token_url=f"{portal_base}/oauth/token/",
        on_token_rotate=on_rotate.append,
        plan="unlimited",
    )
    return Bitrix24Client(settings, clock=FakeClock())


def test_expired_token_is_refreshed_once_and_the_new_refresh_token_is_handed_over() -> None:
    portal = OAuthPortal()
    portal.valid = set()  # the stored access token has expired
    rotated: list[OAuthTokens] = []
    with scripted_portal(portal) as peer:
        client = make(peer.base, rotated)
        assert client.call("crm.deal.get", {"id": 1}).result == {"ID": "1"}
        assert client.call("crm.deal.get", {"id": 1}).result == {"ID": "1"}
    assert [r["refresh_token"] for r in portal.refreshes] == [REFRESH]
    assert (
        portal.refreshes[0]["grant_type"] == "refresh_token" and portal.refreshes[0]["client_id"] == "app.1"
    )
    assert [t.refresh_token for t in rotated] == ["ref-new-1"]
    assert peer.seen[-1].body["auth"] == "acc-new-1" and peer.seen[-1].path == "/rest/crm.deal.get"
    assert client.stats.retries_by_cause["token_expired"] == 1
    assert "acc-new-1" not in repr(client.auth) and "ref-new-1" not in repr(rotated[0])


def test_still_expired_after_a_refresh_is_an_auth_error() -> None:
    portal = OAuthPortal(expire_after_refresh=True)
    portal.valid = set()
    with scripted_portal(portal) as peer, pytest.raises(Bitrix24AuthError) as info:
        make(peer.base, []).call("crm.deal.get")
    assert len(portal.refreshes) == 1
    assert "re-authorise" in str(info.value)


def test_a_rejected_refresh_is_a_clean_auth_error() -> None:
    portal = OAuthPortal(grant_error="invalid_grant")
    portal.valid = set()
    with scripted_portal(portal) as peer, pytest.raises(Bitrix24AuthError) as info:
        make(peer.base, []).call("crm.deal.get")
    text = "".join(traceback.format_exception(info.value))
    assert "invalid_grant" in str(info.value) and "\n" not in str(info.value)
    for secret in (ACCESS, REFRESH, CLIENT_SECRET):
        assert secret not in text
