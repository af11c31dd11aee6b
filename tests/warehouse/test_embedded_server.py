"""The embedded server runs with the warehouse settings (orchestration/runtime/embedded_postgres.py), from its
first start on: a cluster initdb has just created is restarted before anyone connects to it. It runs without
data checksums, which PostgreSQL 18's initdb turns on (docs/decisions.md)."""

from __future__ import annotations

import pytest
from embedded_postgres._commands import pg_checksums

from orchestration.runtime.embedded_postgres import SETTINGS_FILE, WAREHOUSE_SETTINGS, server_os_user
from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation
from testkit.embedded_server import embedded, own_embedded_server


def _settings(uri: str, names: list[str] | None = None) -> dict[str, str]:
    conn = connect(WarehouseLocation.from_url(uri))
    try:
        with conn.cursor() as cur:
            cur.execute(
                "select name, current_setting(name) from pg_settings where name = any(%s)",
                (names or list(WAREHOUSE_SETTINGS),),
            )
            return dict(cur.fetchall())
    finally:
        conn.close()


def _data_checksums(uri: str) -> str:
    return _settings(uri, ["data_checksums"])["data_checksums"]


@pytest.mark.integration
def test_the_embedded_server_runs_with_the_warehouse_settings_from_its_first_start() -> None:
    with own_embedded_server("settings") as (data_dir, uri):
        assert _settings(uri) == WAREHOUSE_SETTINGS
        embedded(data_dir, "stop")
        assert _settings(embedded(data_dir, "start")) == WAREHOUSE_SETTINGS
        conf = (data_dir / "pg" / "postgresql.conf").read_text()
        assert conf.count(f"include_if_exists = '{SETTINGS_FILE}'") == 1


@pytest.mark.integration
def test_the_embedded_server_runs_without_data_checksums_even_on_a_cluster_that_had_them() -> None:
    with own_embedded_server("checksums") as (data_dir, uri):
        assert _data_checksums(uri) == "off"
        embedded(data_dir, "stop")
        # a cluster made before this rule (PostgreSQL 18's initdb default): checksums on while it is stopped
        pg_checksums(["--enable"], pgdata=data_dir / "pg", user=server_os_user())
        assert _data_checksums(embedded(data_dir, "start")) == "off"
