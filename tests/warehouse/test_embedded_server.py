"""The embedded server runs with the warehouse settings (orchestration/runtime/embedded_postgres.py), from its
first start on: a cluster initdb has just created is restarted before anyone connects to it."""

from __future__ import annotations

import pytest

from orchestration.runtime.embedded_postgres import SETTINGS_FILE, WAREHOUSE_SETTINGS
from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation
from testkit.embedded_server import embedded, own_embedded_server


def _settings(uri: str) -> dict[str, str]:
    conn = connect(WarehouseLocation.from_url(uri))
    try:
        with conn.cursor() as cur:
            cur.execute(
                "select name, current_setting(name) from pg_settings where name = any(%s)",
                (list(WAREHOUSE_SETTINGS),),
            )
            return dict(cur.fetchall())
    finally:
        conn.close()


@pytest.mark.integration
def test_the_embedded_server_runs_with_the_warehouse_settings_from_its_first_start() -> None:
    with own_embedded_server("settings") as (data_dir, uri):
        assert _settings(uri) == WAREHOUSE_SETTINGS
        embedded(data_dir, "stop")
        assert _settings(embedded(data_dir, "start")) == WAREHOUSE_SETTINGS
        conf = (data_dir / "pg" / "postgresql.conf").read_text()
        assert conf.count(f"include_if_exists = '{SETTINGS_FILE}'") == 1
