"""A staged key the reports rely on is held by the staging table's unique index, not by a data test that
re-reads the whole table (macros/staging/staged_records_config.sql, `unique`): a duplicate fails the build
that would write it, and PostgreSQL's message names the key."""

from __future__ import annotations

import pytest

from bitrix24_emulator.model import PortalData
from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation
from testkit.dbt import run_dbt
from testkit.raw_from_portal import load_portal
from tests.marts.conftest import dbt_vars


def test_a_second_statistic_row_with_a_staged_call_id_fails_the_calls_staging(
    fresh_database: WarehouseLocation, portal: PortalData
) -> None:
    load_portal(fresh_database, portal)
    run_dbt(fresh_database, "run", "--select", "stg_bitrix24__calls", "--vars", dbt_vars(portal))
    conn = connect(fresh_database, autocommit=True)
    with conn.cursor() as cur:
        # the same call again under a statistic row ID of its own, observed now (the next build reads it)
        cur.execute(
            """
            insert into raw.calls (portal_id, id, change_stamp, payload_hash, payload, partition_key)
            select portal_id, id + 1000000000, change_stamp, md5(payload_hash || 'again'),
                   payload || jsonb_build_object('ID', (id + 1000000000)::text), partition_key
            from raw.calls
            order by id
            limit 1
            """
        )
    conn.close()
    with pytest.raises(AssertionError, match=r"duplicate key value violates unique constraint[\s\S]*call_id"):
        run_dbt(fresh_database, "run", "--select", "stg_bitrix24__calls", "--vars", dbt_vars(portal))
