"""Leads in the generated portal: the request mix, its wire rows and truth, served like the vendor's."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest
import requests

from bitrix24_emulator.generator import GeneratorConfig, generate, portal_fingerprint
from bitrix24_emulator.model import PortalData
from bitrix24_emulator.testing import running_emulator
from tests.support.emulated import HISTORY_END

MIXED = GeneratorConfig(seed=13, managers=8, departments=2, days=40, end_date=HISTORY_END, lead_share=0.5)


@pytest.fixture(scope="module")
def portal() -> PortalData:
    return generate(MIXED)


def rows(portal: PortalData, table: str) -> list[dict]:
    t = portal.tables[table]
    return [t.as_dict(r) for r in t.rows]


def test_deals_only_is_the_portal_without_the_option() -> None:
    plain = GeneratorConfig(seed=13, managers=8, departments=2, days=40, end_date=HISTORY_END)
    assert portal_fingerprint(generate(plain)) == portal_fingerprint(
        generate(
            GeneratorConfig(seed=13, managers=8, departments=2, days=40, end_date=HISTORY_END, lead_share=0.0)
        )
    )
    assert "leads" not in generate(plain).tables


def test_same_seed_same_leads(portal: PortalData) -> None:
    assert portal_fingerprint(portal) == portal_fingerprint(generate(MIXED))


def test_the_mix_holds_every_kind_of_request(portal: PortalData) -> None:
    leads = {int(lead["ID"]): lead for lead in rows(portal, "leads")}
    deals = rows(portal, "deals")
    statuses = Counter(lead["STATUS_ID"] for lead in leads.values())
    assert statuses["CONVERTED"] and statuses["JUNK"] and statuses["NEW"] + statuses["IN_PROCESS"]
    assert any(lead["IS_RETURN_CUSTOMER"] == "Y" for lead in leads.values())
    converted = [d for d in deals if d["LEAD_ID"] is not None]
    assert converted and any(d["LEAD_ID"] is None for d in deals)
    # every LEAD_ID names a converted lead; some deals are older than their lead (converted into them)
    assert all(leads[int(d["LEAD_ID"])]["STATUS_ID"] == "CONVERTED" for d in converted)
    older = [d for d in converted if d["DATE_CREATE"] < leads[int(d["LEAD_ID"])]["DATE_CREATE"]]
    assert older
    for lead in leads.values():
        assert (lead["DATE_CLOSED"] != "") == (lead["STATUS_SEMANTIC_ID"] != "P")


def test_lead_history_and_statuses_follow_the_vendor(portal: PortalData) -> None:
    history = rows(portal, "lead_stage_history")
    leads = {lead["ID"]: lead for lead in rows(portal, "leads")}
    assert {h["TYPE_ID"] for h in history} <= {"1", "2", "3"}
    assert all((h["TYPE_ID"] == "3") == (h["STATUS_SEMANTIC_ID"] != "P") for h in history)
    last = {h["OWNER_ID"]: h for h in history}  # ID order: the last row is the lead's current status
    assert all(last[lead_id]["STATUS_ID"] == lead["STATUS_ID"] for lead_id, lead in leads.items())
    lead_statuses = {
        s["STATUS_ID"]: s["SEMANTICS"] for s in rows(portal, "statuses") if s["ENTITY_ID"] == "STATUS"
    }
    assert lead_statuses == {
        "NEW": None,
        "IN_PROCESS": None,
        "PROCESSED": None,
        "CONVERTED": "S",
        "JUNK": "F",
    }


def test_lead_activities_and_comments_are_bound_to_the_lead(portal: PortalData) -> None:
    lead_ids = {lead["ID"] for lead in rows(portal, "leads")}
    on_leads = [a for a in rows(portal, "activities") if a["OWNER_TYPE_ID"] == "1"]
    assert on_leads and all(a["OWNER_ID"] in lead_ids for a in on_leads)
    comments = [c for c in rows(portal, "timeline_comments") if c["ENTITY_TYPE"] == "lead"]
    assert comments and all(c["ENTITY_ID"] in lead_ids for c in comments)


def test_request_truth_has_one_chain_per_lead_and_per_deal_without_one(portal: PortalData) -> None:
    leads = rows(portal, "leads")
    deals = rows(portal, "deals")
    chains = portal.requests
    assert len(chains) == len(leads) + sum(1 for d in deals if d["LEAD_ID"] is None)
    created = {("lead", int(x["ID"])): x["DATE_CREATE"] for x in leads}
    created |= {("deal", int(x["ID"])): x["DATE_CREATE"] for x in deals}
    for chain in chains:
        starts = [
            created[key] for key in (("lead", chain.lead_id), ("deal", chain.deal_id)) if key in created
        ]
        assert chain.started_at == min(starts, key=datetime.fromisoformat)
        if chain.first_touch_at is not None:
            assert datetime.fromisoformat(chain.first_touch_at) >= datetime.fromisoformat(chain.started_at)
    # a lead contacted before its conversion: the request's first contact precedes its deal's
    deal_truth = {t.deal_id: t for t in portal.truth}
    earlier = [
        c
        for c in chains
        if c.lead_id
        and c.deal_id
        and c.first_touch_at
        and deal_truth[c.deal_id].first_touch_at
        and c.first_touch_at < deal_truth[c.deal_id].first_touch_at
    ]
    assert earlier


def test_served_like_the_vendor(portal: PortalData) -> None:
    with running_emulator(portal) as emu:
        ids: list[int] = []
        last = 0
        while True:  # keyset paging, as the product reads
            answer = requests.post(
                emu.webhook_url + "crm.lead.list",
                json={"filter": {">ID": last}, "order": {"ID": "ASC"}, "select": ["*", "UF_*"], "start": -1},
                timeout=30,
            ).json()
            page = [int(r["ID"]) for r in answer["result"]]
            if not page:
                break
            ids += page
            last = page[-1]
        assert ids == [int(lead["ID"]) for lead in rows(portal, "leads")]
        history = requests.post(
            emu.webhook_url + "crm.stagehistory.list", json={"entityTypeId": 1, "start": -1}, timeout=30
        ).json()["result"]["items"]
        assert set(history[0]) == {
            "ID",
            "TYPE_ID",
            "OWNER_ID",
            "CREATED_TIME",
            "STATUS_SEMANTIC_ID",
            "STATUS_ID",
        }
    deals_only = generate(GeneratorConfig(seed=13, managers=6, departments=2, days=5, end_date=HISTORY_END))
    with running_emulator(deals_only) as emu:
        answer = requests.post(emu.webhook_url + "crm.lead.list", json={}, timeout=30).json()
        assert answer["result"] == [] and answer["total"] == 0


def test_serve_uses_leads_and_deals_unless_told_otherwise() -> None:
    """``b24ops emulator serve`` (the demo portal) has leads by default; ``--lead-share 0`` is deals-only."""
    import typer

    from bitrix24_emulator.cli import app

    serve = typer.main.get_command(app).commands["serve"]  # type: ignore[attr-defined]
    assert serve.make_context("serve", []).params["lead_share"] == 0.3
    assert serve.make_context("serve", ["--lead-share", "0"]).params["lead_share"] == 0.0
