"""Issue #12 point 6: the emulator sends, by default, the values a real portal sends, and the product's
ingestion takes them (docs/bitrix24-api.md, per method). What staging and the marts make of them is tested in
test_fixtures_through_dbt.py; operating_reset_at as an ISO string in tests/bitrix24/test_transport.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.model import PortalData
from bitrix24_emulator.server import Emulator
from bitrix24_emulator.testing import running_emulator
from orchestration.bitrix24 import Bitrix24Client, ClientSettings
from orchestration.defs.ingestion.raw_snapshots import SnapshotContext, fetch_stages, fetch_users
from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation
from orchestration.warehouse.raw_load import load_versions
from orchestration.warehouse.raw_tables import RAW_ENTITIES
from tests.support.emulated import HISTORY_END

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def portal() -> PortalData:
    return generate(GeneratorConfig(seed=11, managers=6, departments=2, days=20, end_date=HISTORY_END))


@pytest.fixture(scope="module")
def emu(portal: PortalData) -> Iterator[Emulator]:
    with running_emulator(portal) as emulator:
        yield emulator


@pytest.fixture()
def client(emu: Emulator) -> Bitrix24Client:
    return Bitrix24Client(ClientSettings(webhook_url=emu.webhook_url, plan="unlimited"))


def _users(client: Bitrix24Client) -> list[dict[str, Any]]:
    return list(fetch_users(client, SnapshotContext(today=None, user_ids=[])))  # type: ignore[arg-type]


def _bot_ids(portal: PortalData) -> set[str]:
    users = portal.tables["users"]
    return {u["ID"] for u in map(users.as_dict, users.rows) if u["USER_TYPE"] == "bot"}


def test_stage_history_numbers_come_as_strings(client: Bitrix24Client) -> None:
    rows = [row for page in client.iter_keyset("crm.stagehistory.list", {"entityTypeId": 2}) for row in page]
    assert rows
    for row in rows:
        assert all(isinstance(row[field], str) for field in ("ID", "TYPE_ID", "OWNER_ID", "CATEGORY_ID")), row


def test_default_pipeline_stages_come_with_a_null_category(client: Bitrix24Client) -> None:
    stages = list(fetch_stages(client, SnapshotContext(today=None, user_ids=[])))  # type: ignore[arg-type]
    categories = {row["ENTITY_ID"]: row["CATEGORY_ID"] for row in stages}
    assert categories["DEAL_STAGE"] is None
    assert categories["DEAL_STAGE_1"] == "1"


def test_user_get_lists_no_bot_though_the_bot_authors_activities(
    client: Bitrix24Client, portal: PortalData
) -> None:
    bots = _bot_ids(portal)
    listed = {row["ID"] for row in _users(client)}
    assert bots and not bots & listed
    assert len(listed) == len(portal.tables["users"].rows) - len(bots)
    activities = portal.tables["activities"]
    authors = {activities.as_dict(row)["AUTHOR_ID"] for row in activities.rows}
    assert bots & authors  # the models meet authors user.get does not list (see test_fixtures_through_dbt)


def test_user_get_sends_timestamp_x_as_an_object_and_the_snapshot_stores_it(
    client: Bitrix24Client, fresh_database: WarehouseLocation
) -> None:
    users = _users(client)
    assert {str(row["TIMESTAMP_X"]) for row in users} == {"{}"}
    conn = connect(fresh_database)
    try:
        result = load_versions(
            conn, RAW_ENTITIES["users"], portal_id="default", partition_key="snapshot", records=users
        )
        conn.commit()
    finally:
        conn.close()
    assert result.versions_added == len(users)
