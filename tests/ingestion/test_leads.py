"""Leads go through the same ingestion as deals: change windows, their status history, the activities and
comments bound to them, and the deletion sweep — against an emulated lead-and-deal portal over HTTP."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import dagster as dg
import pytest
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.model import PortalData
from bitrix24_emulator.testing import running_emulator
from orchestration.defs.ingestion.raw_comments import timeline_comments
from testkit.warehouse import query
from tests.ingestion import harness
from tests.support.emulated import HISTORY_END

pytestmark = pytest.mark.integration


def _rows(portal: PortalData, table: str) -> list[dict]:
    t = portal.tables[table]
    return [t.as_dict(r) for r in t.rows]


def test_leads_their_history_activities_comments_and_deletions(fresh_database, monkeypatch, tmp_path) -> None:
    portal = generate(
        GeneratorConfig(seed=17, managers=6, departments=2, days=20, end_date=HISTORY_END, lead_share=0.5)
    )
    first, last = harness.history_days(portal)
    monkeypatch.setenv("WAREHOUSE_URL", fresh_database.libpq_url())
    monkeypatch.setenv("B24_PLAN", "unlimited")
    with running_emulator(portal) as emu:
        monkeypatch.setenv("B24_WEBHOOK_URL", emu.webhook_url)
        defs = harness.definitions()
        with dg.DagsterInstance.ephemeral(tempdir=str(tmp_path)) as instance:
            changes = harness.run_changes(defs, instance, first, last, checks=True)
            assert changes.success, harness.failures(changes)
            tags = {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last}
            comments = dg.materialize(
                [timeline_comments],
                resources=defs.resources,
                instance=instance,
                tags=tags,
                raise_on_error=False,
            )
            assert comments.success, harness.failures(comments)
            checks = harness.check_results(changes)
            deleted = emu.live.delete_record("leads")
            sweep = harness.run_reconciliation(defs, instance)

    leads = _rows(portal, "leads")  # the portal's leads now, the deleted one gone
    stored = query(fresh_database, "select id, change_stamp from raw.leads order by id")
    assert sorted(i for i, _ in stored) == sorted([int(r["ID"]) for r in leads] + [deleted])
    assert {i: s for i, s in stored if i != deleted} == {
        int(r["ID"]): datetime.fromisoformat(r["DATE_MODIFY"]) for r in leads
    }
    history = query(fresh_database, "select id from raw.lead_stage_history order by id")
    assert [i for (i,) in history] == [int(r["ID"]) for r in _rows(portal, "lead_stage_history")]
    # activities bound to leads come with the same change-window read (no owner filter)
    owner_types = query(
        fresh_database, "select payload ->> 'OWNER_TYPE_ID', count(*) from raw.activities group by 1"
    )
    assert dict(owner_types) == Counter(a["OWNER_TYPE_ID"] for a in _rows(portal, "activities"))
    lead_comments = query(
        fresh_database,
        "select id from raw.timeline_comments where payload ->> 'ENTITY_TYPE' = 'lead' order by id",
    )
    expected = [int(c["ID"]) for c in _rows(portal, "timeline_comments") if c["ENTITY_TYPE"] == "lead"]
    assert expected and [i for (i,) in lead_comments] == expected
    for check in ("matches_portal_total", "no_duplicate_versions", "mart_fields_present"):
        for table in ("leads", "lead_stage_history"):
            assert checks[f"raw/{table}:{check}"].passed, (
                table,
                check,
                checks[f"raw/{table}:{check}"].metadata,
            )
    assert sweep.success, harness.failures(sweep)
    assert query(fresh_database, "select entity, id from raw.deletions") == [("leads", deleted)]
