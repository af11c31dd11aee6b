"""Dagster resources: the warehouse, the Bitrix24 portal and the Superset the pipeline provisions.

Secrets (the webhook URL, the OAuth client secret and refresh token, a warehouse password) reach them through
``dg.EnvVar`` (:meth:`orchestration.settings.Settings.dagster_config`), so they never appear in run
configuration, logs or the Dagster UI. Superset's passwords left empty are the ones generated for the
local installation under ``.data/superset/`` (generated on first use, never logged).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from psycopg2.extensions import connection as Connection

from orchestration.bitrix24 import Bitrix24Client, ClientSettings, OAuthTokens
from orchestration.bitrix24.auth import DEFAULT_TOKEN_URL
from orchestration.bitrix24.token_store import DEFAULT_TOKEN_STORE, TokenStore
from orchestration.i18n import SOURCE_LANGUAGE
from orchestration.settings import DEFAULT_DBT_THREADS, DEFAULT_PORTAL_ID, Settings
from orchestration.superset.provision import SupersetTarget
from orchestration.superset.settings import (
    ADMIN_PASSWORD_FILE,
    DEFAULT_ADMIN_USER,
    DEFAULT_READONLY_USER,
    READONLY_PASSWORD_FILE,
    LocalSuperset,
    stored_secret,
)
from orchestration.warehouse.bootstrap import connect, ensure_warehouse
from orchestration.warehouse.location import WarehouseLocation, resolve_warehouse


class WarehouseResource(dg.ConfigurableResource):
    """The PostgreSQL warehouse. An empty ``url`` means the embedded server under ``.data/``."""

    url: str = ""
    # the share of a read's records that may be quarantined before its asset fails (B24_QUARANTINE_MAX_SHARE)
    quarantine_max_share: float = 0.01
    # how many models dbt builds at once (B24OPS_DBT_THREADS)
    dbt_threads: int = DEFAULT_DBT_THREADS

    def location(self) -> WarehouseLocation:
        return resolve_warehouse(self.url)

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A connection to the prepared warehouse; the caller commits."""
        conn = connect(ensure_warehouse(self.location()))
        try:
            yield conn
        finally:
            conn.close()


class Bitrix24Resource(dg.ConfigurableResource):
    """One Bitrix24 portal, reached through an incoming webhook or an installed OAuth app.

    A webhook wins when both are configured. For OAuth the token pair of the last run is read from the
    token store and every rotated pair is written back to it; ``oauth_refresh_token`` only seeds a store
    that does not exist yet (delete the store to re-seed it after re-authorising the app).
    """

    webhook_url: str = ""
    oauth_client_id: str = ""
    oauth_client_secret: str = ""
    client_endpoint: str = ""  # https://<portal>/rest/
    oauth_token_url: str = DEFAULT_TOKEN_URL
    oauth_refresh_token: str = ""
    token_store_path: str = ""  # empty: .data/bitrix24-oauth.json
    portal_id: str = DEFAULT_PORTAL_ID  # stored on every raw row of this portal; the dbt models read it back
    plan: str = "standard"
    timeout_s: float = 30.0  # B24_REQUEST_TIMEOUT: the wait for one answer before the client tries again
    example_teams: bool = False  # the emulated demo portal: dbt adds its example teams to marts.teams

    def client(self, *, repeat_unanswered: bool = True) -> Bitrix24Client:
        """``repeat_unanswered=False`` for sending: a request the portal may have executed is not repeated."""
        if self.webhook_url:
            return Bitrix24Client(
                ClientSettings(
                    webhook_url=self.webhook_url,
                    plan=self.plan,
                    timeout_s=self.timeout_s,
                    repeat_unanswered=repeat_unanswered,
                )
            )
        if not (self.oauth_client_id and self.oauth_client_secret and self.client_endpoint):
            raise ValueError(
                "no Bitrix24 credentials: set B24_WEBHOOK_URL, or B24_OAUTH_CLIENT_ID, "
                "B24_OAUTH_CLIENT_SECRET, B24_OAUTH_ENDPOINT and B24_OAUTH_REFRESH_TOKEN"
            )
        store = TokenStore(Path(self.token_store_path) if self.token_store_path else DEFAULT_TOKEN_STORE)
        tokens = store.load() or OAuthTokens(self.client_endpoint, "", self.oauth_refresh_token)
        if not tokens.refresh_token:
            raise ValueError(f"no OAuth refresh token: set B24_OAUTH_REFRESH_TOKEN or restore {store.path}")
        settings = ClientSettings(
            plan=self.plan,
            timeout_s=self.timeout_s,
            oauth_tokens=tokens,
            oauth_client_id=self.oauth_client_id,
            oauth_client_secret=self.oauth_client_secret,
            oauth_token_url=self.oauth_token_url,
            on_token_rotate=store.save,
            repeat_unanswered=repeat_unanswered,
        )
        client = Bitrix24Client(settings)
        if not tokens.access_token:
            # Only a seed refresh token: one exchange now, because an empty token is ``invalid_token``,
            # not ``expired_token``, and the client renews only the latter.
            client.auth.refresh(client.transport.session, settings.timeout_s)
        return client


def bitrix24_resource(settings: Settings, secret: Callable[[str], Any] | None = None) -> Bitrix24Resource:
    """The portal as ``settings`` configure it: the webhook when there is one (it wins over OAuth), else the
    OAuth app. ``secret`` gives each secret field's value: by default ``settings.dagster_config`` (secrets by
    the name of their variable, for the code location); a command that calls the portal itself, outside a
    Dagster run, passes ``settings.reveal``."""
    secret = secret or settings.dagster_config
    credentials: dict[str, Any] = (
        {"webhook_url": secret("webhook_url")}
        if settings.webhook_url
        else {
            "oauth_client_id": settings.oauth_client_id,
            "oauth_client_secret": secret("oauth_client_secret"),
            "oauth_refresh_token": secret("oauth_refresh_token"),
            "client_endpoint": settings.oauth_endpoint,
            "oauth_token_url": settings.oauth_token_url or DEFAULT_TOKEN_URL,
            "token_store_path": str(settings.oauth_token_store or ""),
        }
    )
    return Bitrix24Resource(
        **credentials,
        portal_id=settings.portal_id,
        plan=settings.plan,
        timeout_s=settings.request_timeout_s,
        example_teams=settings.example_teams,
    )


class SupersetResource(dg.ConfigurableResource):
    """Where Superset is and who provisions it. Empty passwords mean the local generated ones."""

    url: str
    admin_user: str = DEFAULT_ADMIN_USER
    admin_password: str = ""
    readonly_role: str = DEFAULT_READONLY_USER
    readonly_password: str = ""
    language: str = "en"  # the dashboards' labels (B24OPS_LANGUAGE)

    def target(self) -> SupersetTarget:
        return SupersetTarget(
            url=self.url,
            admin_user=self.admin_user,
            admin_password=self.admin_password or stored_secret(None, ADMIN_PASSWORD_FILE).value,
            readonly_role=self.readonly_role,
            readonly_password=self.readonly_password or stored_secret(None, READONLY_PASSWORD_FILE).value,
            language=self.language,
        )


def superset_resource(settings: Settings) -> SupersetResource:
    """The resource as ``settings`` configure it (``SUPERSET_URL``, else the local installation's)."""
    return SupersetResource(
        url=settings.superset_url or LocalSuperset(settings=settings).url,
        admin_user=settings.superset_admin_user,
        admin_password=settings.dagster_config("superset_admin_password"),
        readonly_role=settings.superset_db_user,
        readonly_password=settings.dagster_config("superset_db_password"),
        language=settings.language or SOURCE_LANGUAGE,
    )
