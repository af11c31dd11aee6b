"""One pipeline for the alert tests: a generated portal plus hand-placed new deals, served by the emulator
(with a manual clock) over HTTP, synced by the real Dagster assets into a real PostgreSQL, the marts built
by real dbt. Tests move time with the dbt var ``snapshot_at`` (what the marts see) and the emulator's clock
plus the delivery's ``as_of`` (when the message goes out)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import dagster as dg
import pytest

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.model import PortalData
from bitrix24_emulator.server import Emulator, ManualClock
from bitrix24_emulator.testing import running_emulator
from orchestration.alerts.settings import AlertsResource
from orchestration.defs.alerts.assets import morning_digests, sla_alert_deliveries
from orchestration.defs.definitions import build_definitions
from orchestration.defs.resources import Bitrix24Resource, WarehouseResource
from orchestration.runtime.sync import sync
from orchestration.warehouse.location import WarehouseLocation
from testkit.dbt import run_dbt
from testkit.warehouse import query

# New deals nobody touches, two weeks after the generated history (it ends on Sunday 2026-11-01; its vacations
# run into the next week): the deal id, its responsible employee and its creation instant (portal zone,
# Europe/Moscow; these employees work 9:00-18:00).
NEW_DEALS = {
    9001: ("6", "2026-11-16T10:00:00+03:00"),  # Monday morning: level 1 at 10:15, level 2 at 10:30
    9002: ("7", "2026-11-16T17:40:00+03:00"),  # Monday evening: level 1 at 17:55, seen due at night
    9003: ("9", "2026-11-17T11:00:00+03:00"),  # Tuesday: the crash case
    9004: ("9", "2026-11-17T12:00:00+03:00"),  # Tuesday: a webhook without the im scope
    9005: ("8", "2026-11-17T12:00:00+03:00"),  # Tuesday: a fired employee (ACTIVE false) is responsible
    9006: ("4", "2026-11-17T13:00:00+03:00"),  # Tuesday: the head of department 3 is responsible himself
    9007: ("6", "2026-11-16T11:00:00+03:00"),  # Monday: edited by its responsible 5 minutes later
    9008: ("7", "2026-11-17T14:00:00+03:00"),  # Tuesday: touched between level 1 and level 2 (TOUCHED_LATER)
}
# deals their responsible touched (an edit: docs/metrics.md, deal_edit) at this instant
TOUCHED = {9007: "2026-11-16T11:05:00+03:00"}
# deals their responsible edits after the sync, at this instant: the tests that need it load that version
# (test_sla_alerts_e2e.touched_later)
TOUCHED_LATER = {9008: "2026-11-17T14:20:00+03:00"}


def with_new_deals(portal: PortalData) -> PortalData:
    deals = portal.tables["deals"]
    template = deals.as_dict(deals.rows[-1])
    for deal_id, (responsible, created) in NEW_DEALS.items():
        row = {
            **template,
            "ID": str(deal_id),
            "TITLE": f"Заявка {deal_id}",
            "ASSIGNED_BY_ID": responsible,
            "DATE_CREATE": created,
            "DATE_MODIFY": TOUCHED.get(deal_id, created),
            "MODIFY_BY_ID": responsible,
            "MOVED_TIME": created,
            "LAST_ACTIVITY_TIME": created,
            "BEGINDATE": created,
            "STAGE_ID": "NEW",
            "STAGE_SEMANTIC_ID": "P",
            "CLOSED": "N",
            "CATEGORY_ID": "0",
        }
        deals.rows.append(tuple(row[f] for f in deals.fields))
    return portal


def at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


@dataclass
class Pipeline:
    location: WarehouseLocation
    emulator: Emulator
    clock: ManualClock

    def query(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        return query(self.location, sql, params)

    def rebuild(self, snapshot: datetime, *, staging: bool = False) -> None:
        """The deal mart and the alerts as of ``snapshot`` (real dbt); ``staging``: from the deals' raw
        versions on (a test wrote some)."""
        variables = json.dumps({"snapshot_at": snapshot.isoformat()})
        models = "managerControl_Deal sla_alerts"
        if staging:
            models = f"stg_bitrix24__deals int_deal_contacts_unioned int_deals_first_touched {models}"
        run_dbt(self.location, "run", "--select", models, "--vars", variables)

    def deliver(
        self,
        now: datetime,
        webhook_url: str | None = None,
        asset: dg.AssetsDefinition = sla_alert_deliveries,
        language: Literal["ru", "en"] = "ru",
    ) -> dg.ExecuteInProcessResult:
        """A delivery asset, materialised by Dagster at ``now`` (the emulator's clock is set to it too)."""
        self.clock.advance(now.timestamp() - self.clock.now())
        op_name = asset.key.to_python_identifier()
        return dg.materialize(
            [asset],
            resources={
                "warehouse": WarehouseResource(url=self.location.libpq_url()),
                "bitrix24": Bitrix24Resource(webhook_url=webhook_url or self.emulator.webhook_url),
                "alerts": AlertsResource(enabled=True, language=language),
            },
            run_config={"ops": {op_name: {"config": {"as_of": now.isoformat()}}}},
            raise_on_error=False,
        )

    def digest(self, now: datetime, language: Literal["ru", "en"] = "ru") -> dg.ExecuteInProcessResult:
        return self.deliver(now, asset=morning_digests, language=language)

    def due_at(self, deal_id: int, level: int) -> datetime:
        ((due,),) = self.query(
            "select due_at from marts.sla_alerts where request_id = %s and alert_level = %s", (deal_id, level)
        )
        return due

    def messages_about(self, deal_id: int) -> list[tuple[int | None, str, float]]:
        return [
            (d.user_id, d.message, d.sent_at)
            for d in self.emulator.outbox()
            if f"№{deal_id}," in d.message or f"№{deal_id})" in d.message
        ]


@pytest.fixture(scope="module")
def pipeline(
    module_database: WarehouseLocation, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pipeline]:
    portal = with_new_deals(generate(GeneratorConfig(seed=7, managers=6, departments=2, days=10)))
    clock = ManualClock(at("2026-11-16T09:00:00+03:00").timestamp())
    with running_emulator(portal, clock=clock) as emulator, pytest.MonkeyPatch.context() as env:
        env.setenv("B24_WEBHOOK_URL", emulator.webhook_url)
        env.setenv("WAREHOUSE_URL", module_database.libpq_url())
        home = tmp_path_factory.mktemp("dagster")
        with dg.DagsterInstance.ephemeral(tempdir=str(home)) as instance:
            # the reference data (employees, departments, calendar, absences), the two days of new deals, and
            # the 4 weeks before them: the morning digest compares a day with the same weekday of those weeks
            # (the generated history, 2026-10-23..11-01, gives it a Monday and a Tuesday)
            sync(build_definitions(), instance, date(2026, 10, 19), date(2026, 11, 17))
        yield Pipeline(module_database, emulator, clock)
