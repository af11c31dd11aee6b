"""Dagster resources: the warehouse and the Bitrix24 portal.

Secrets (the webhook URL, a warehouse password) reach them only through ``dg.EnvVar`` (see
:func:`orchestration.definitions.build_resources`), so they never appear in run configuration,
logs or the Dagster UI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from psycopg2.extensions import connection as Connection

from orchestration.bitrix24 import Bitrix24Client, ClientSettings
from orchestration.warehouse.bootstrap import connect, ensure_warehouse
from orchestration.warehouse.location import WarehouseLocation, resolve_warehouse

WEBHOOK_ENV = "B24_WEBHOOK_URL"
PORTAL_ID_ENV = "B24_PORTAL_ID"


def portal_id() -> str:
    """The identifier stored on every raw row of this portal and the one the dbt models read."""
    return os.environ.get(PORTAL_ID_ENV, "default")


class WarehouseResource(dg.ConfigurableResource):
    """The PostgreSQL warehouse. An empty ``url`` means the embedded server under ``.data/``."""

    url: str = ""

    def location(self) -> WarehouseLocation:
        return WarehouseLocation.from_url(self.url) if self.url else resolve_warehouse()

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A connection to the prepared warehouse; the caller commits."""
        conn = connect(ensure_warehouse(self.location()))
        try:
            yield conn
        finally:
            conn.close()


class Bitrix24Resource(dg.ConfigurableResource):
    """One Bitrix24 portal, reached through an incoming webhook."""

    webhook_url: str
    portal_id: str = "default"
    plan: str = "standard"

    def client(self) -> Bitrix24Client:
        return Bitrix24Client(ClientSettings(webhook_url=self.webhook_url, plan=self.plan))
