"""Every setting of b24ops, read from the environment in this one module.

The edges read :class:`Settings` once — the CLI when a command starts, the Dagster code location when
Dagster loads it (:func:`orchestration.defs.definitions.code_location`) — and hand the values down: resources,
the CLI's commands and the processes it starts receive them, nothing below reads the environment again or
writes it to talk to itself. ``README.md`` (Configuration) and ``.env.example`` list the same variables
(tests/test_settings.py).

Secrets are :class:`~pydantic.SecretStr`: printed or logged they show ``**********``. Dagster gets them by
the name of their variable (``dg.EnvVar``, see :meth:`Settings.dagster_config`) so their values never enter a
run's configuration.

This module imports no Dagster and no dbt: ``b24ops --help`` and the quick commands stay fast.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# The portal id of an installation that never set B24_PORTAL_ID (raw rows and dbt vars carry it).
DEFAULT_PORTAL_ID = "default"
# dbt's threads unless B24OPS_DBT_THREADS says otherwise (dbt_project/profiles.yml's own default is the same)
DEFAULT_DBT_THREADS = 2


def _env(name: str) -> dict[str, object]:
    """The field is the environment variable ``name`` (and may be given by field name in code)."""
    return {"validation_alias": AliasChoices(name), "alias": name}


class Settings(BaseSettings):
    """The configuration of one b24ops installation. Empty variables count as unset."""

    model_config = SettingsConfigDict(
        env_ignore_empty=True, str_strip_whitespace=True, populate_by_name=True, frozen=True, extra="ignore"
    )

    # Bitrix24: a webhook, or an OAuth app (the webhook wins when both are set).
    webhook_url: SecretStr | None = Field(None, **_env("B24_WEBHOOK_URL"))
    portal_id: str = Field(DEFAULT_PORTAL_ID, **_env("B24_PORTAL_ID"))
    plan: Literal["standard", "enterprise", "unlimited"] = Field("standard", **_env("B24_PLAN"))
    portal_time_zone: str = Field("Europe/Moscow", **_env("B24_PORTAL_TIME_ZONE"))
    history_start: str = Field("2025-01-01", **_env("B24_HISTORY_START"))
    # records of one read that may be set aside (raw.quarantine) before the read fails: 0.01 = 1 %
    quarantine_max_share: float = Field(0.01, ge=0.0, le=1.0, **_env("B24_QUARANTINE_MAX_SHARE"))
    # How long the client waits for one answer before it tries again (the local emulator gets longer: a
    # busy machine answers late, and asking again only queues the same work twice; see the CLI's demo).
    request_timeout_s: float = Field(30.0, gt=0, **_env("B24_REQUEST_TIMEOUT"))
    # The departments the sales reports cover by default (each with its sub-departments), as department
    # IDs separated by commas; empty: detected in dbt (int_departments_in_sales_report).
    sales_departments: str = Field(
        "", pattern=r"^\s*(\d+\s*(,\s*\d+\s*)*)?$", **_env("B24_SALES_DEPARTMENTS")
    )
    oauth_client_id: str = Field("", **_env("B24_OAUTH_CLIENT_ID"))
    oauth_client_secret: SecretStr | None = Field(None, **_env("B24_OAUTH_CLIENT_SECRET"))
    oauth_endpoint: str = Field("", **_env("B24_OAUTH_ENDPOINT"))
    oauth_refresh_token: SecretStr | None = Field(None, **_env("B24_OAUTH_REFRESH_TOKEN"))
    oauth_token_url: str = Field("", **_env("B24_OAUTH_TOKEN_URL"))  # empty: Bitrix24's oauth.bitrix.info
    oauth_token_store: Path | None = Field(None, **_env("B24_OAUTH_TOKEN_STORE"))
    # The emulated demo portal's example teams in marts.teams (the demo and `make up` without a portal turn
    # it on); a real portal's teams are only the hand-edited seed.
    example_teams: bool = Field(False, **_env("B24_EXAMPLE_TEAMS"))

    # Dagster: schedules, alerts, the UI.
    schedules_on: bool = Field(False, **_env("B24_SCHEDULES"))
    alert_webhook_url: SecretStr | None = Field(None, **_env("B24OPS_ALERT_WEBHOOK_URL"))
    ui_port: int = Field(3000, **_env("B24OPS_UI_PORT"))
    # The language of reports, dashboards and the demo; unset: the portal's (app.info), else English.
    language: Literal["ru", "en"] | None = Field(None, **_env("B24OPS_LANGUAGE"))

    # SLA alerts to managers and morning digests (orchestration/alerts/): off unless B24_ALERTS=on.
    alerts_on: bool = Field(False, **_env("B24_ALERTS"))
    # unset: B24OPS_LANGUAGE, else Russian (see alert_texts_language)
    alerts_language: Literal["ru", "en"] | None = Field(None, **_env("B24_ALERTS_LANGUAGE"))
    alerts_chat: str = Field("", **_env("B24_ALERTS_CHAT"))  # also post each alert here (DIALOG_ID: chat42)
    dashboard_url: str = Field("", **_env("B24_DASHBOARD_URL"))  # the link at the end of the digest

    # PostgreSQL: URLs carry a password, so they are secrets too.
    warehouse_url: SecretStr | None = Field(None, **_env("WAREHOUSE_URL"))
    dagster_storage_url: SecretStr | None = Field(None, **_env("DAGSTER_STORAGE_URL"))
    # How many models dbt builds at once (profiles.yml `threads`): the warehouse's cores are the useful
    # ceiling; 2 is what the benchmarks (docs/benchmarks.md) were measured with on a 2-core machine.
    dbt_threads: int = Field(DEFAULT_DBT_THREADS, ge=1, le=64, **_env("B24OPS_DBT_THREADS"))

    # Superset: left empty, passwords and the secret key are generated once under .data/superset/.
    superset_url: str = Field("", **_env("SUPERSET_URL"))
    superset_port: int = Field(8088, **_env("SUPERSET_PORT"))
    superset_admin_user: str = Field("admin", **_env("SUPERSET_ADMIN_USER"))
    superset_admin_password: SecretStr | None = Field(None, **_env("SUPERSET_ADMIN_PASSWORD"))
    superset_db_user: str = Field("b24ops_superset_ro", **_env("SUPERSET_DB_USER"))
    superset_db_password: SecretStr | None = Field(None, **_env("SUPERSET_DB_PASSWORD"))
    superset_secret_key: SecretStr | None = Field(None, **_env("SUPERSET_SECRET_KEY"))
    superset_metadata_url: SecretStr | None = Field(None, **_env("SUPERSET_METADATA_URL"))

    @property
    def alert_texts_language(self) -> Literal["ru", "en"]:
        """The alerts' and digests' language: B24_ALERTS_LANGUAGE, else the product's B24OPS_LANGUAGE (one
        switch for everything), else Russian — the language of the managers of a Bitrix24 portal (#16)."""
        return self.alerts_language or self.language or "ru"

    @property
    def sales_department_ids(self) -> tuple[int, ...]:
        """B24_SALES_DEPARTMENTS as IDs; () means "detect" (the dbt var ``sales_department_ids``)."""
        return tuple(int(part) for part in self.sales_departments.split(",") if part.strip())

    @classmethod
    def variable(cls, field: str) -> str:
        """The environment variable of ``field``."""
        alias = cls.model_fields[field].alias
        assert alias is not None, field
        return alias

    @classmethod
    def variables(cls) -> frozenset[str]:
        return frozenset(cls.variable(field) for field in cls.model_fields)

    def reveal(self, field: str) -> str:
        """The value of the secret ``field`` for the code that must use it ('' when unset); never log it."""
        value = getattr(self, field)
        return value.get_secret_value() if value is not None else ""

    def secret_variable(self, field: str) -> str | None:
        """The environment variable the secret ``field`` was read from, or None when it is unset or was set
        in code (the demo's emulator URL): only in the first case may Dagster re-read it by its variable."""
        value = getattr(self, field)
        if not isinstance(value, SecretStr):
            return None
        name = self.variable(field)
        return name if os.environ.get(name, "").strip() == value.get_secret_value() else None

    def dagster_config(self, field: str) -> Any:
        """The secret ``field`` as resource config: by the name of its environment variable when it came from
        there (Dagster resolves ``dg.EnvVar`` when the resource starts, so the value never enters the run's
        configuration, which the instance stores); a value set in code (the demo's emulator URL, made up in
        this process) as itself; '' when unset."""
        import dagster as dg  # here, not at the top: the CLI's quick commands import this module

        variable = self.secret_variable(field)
        return dg.EnvVar(variable) if variable else self.reveal(field)

    def environment(self, **fields: object) -> dict[str, str]:
        """``fields`` (by field name) as environment variables for a child process that reads its own
        :class:`Settings` — how the CLI configures the Dagster processes it starts without touching its own
        environment."""
        named = {}
        for field, value in fields.items():
            raw = value.get_secret_value() if isinstance(value, SecretStr) else value
            named[self.variable(field)] = ("on" if raw else "off") if isinstance(raw, bool) else str(raw)
        return named


def portal_today(time_zone: str, now: datetime | None = None) -> date:
    """The date in the portal's ``time_zone`` (B24_PORTAL_TIME_ZONE) at ``now`` (default: the clock): the day
    its daily partitions and snapshots call today. Every date default (the CLI's periods, the demo portal's
    last day, the absence window of raw/absences) is this date, never the machine's or UTC's (#19 point 1)."""
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(time_zone)).date()


def load_settings() -> Settings:
    """The settings as the environment gives them now: call it at an edge, once."""
    return Settings()


def dbt_threads_env(threads: int) -> dict[str, str]:
    """What dbt_project/profiles.yml reads for ``threads`` (the setting B24OPS_DBT_THREADS), as the
    environment of a dbt invocation."""
    return {Settings.variable("dbt_threads"): str(threads)}


def child_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a child process: this process's own, plus ``extra``; this one is left as it is."""
    return {**os.environ, **(extra or {})}
