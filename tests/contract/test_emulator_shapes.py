"""(a) The emulator answers every method the product calls in the shape of the vendor's documented example.

Over real HTTP, with the parameters of each fixture: the rows must carry every field of the example (unless
the fixture marks it optional, with its reason) with the same JSON types (plus those the fixture allows, with
their reason); where the example shows every field, the emulator may send no field the example lacks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.model import PortalData
from bitrix24_emulator.server import Emulator
from bitrix24_emulator.testing import listed_users, running_emulator
from tests.contract.shapes import compatible, differences, json_type, shape_of
from tests.contract.vendor import METHODS, VendorExample, load
from tests.support.emulated import HISTORY_END

pytestmark = pytest.mark.integration

# The answer's envelope beside ``result``: ``next`` only while more pages remain; operating_reset_at is a unix
# timestamp (one example shows an ISO string: docs/bitrix24-api.md § Limits).
ENVELOPE_OPTIONAL = ("next",)
ENVELOPE_ALLOWED = {"time.operating_reset_at": ["number"]}


@pytest.fixture(scope="module")
def portal() -> PortalData:
    # with leads, so that crm.lead.list and the lead stage history have rows to compare
    return generate(
        GeneratorConfig(seed=7, managers=6, departments=2, days=30, end_date=HISTORY_END, lead_share=0.5)
    )


@pytest.fixture(scope="module")
def emu(portal: PortalData) -> Iterator[Emulator]:
    with running_emulator(portal) as emulator:
        yield emulator


def _first(portal: PortalData, table: str, field: str) -> Any:
    rows = portal.tables[table]
    return rows.as_dict(rows.rows[0])[field]


def params_for(example: VendorExample, portal: PortalData) -> dict[str, Any]:
    """The fixture's parameters, with the IDs a question about this portal needs."""
    if example.method == "crm.timeline.comment.list":
        deal = _first(portal, "timeline_comments", "ENTITY_ID")
        return {**example.params, "filter": {**example.params["filter"], "ENTITY_ID": deal}}
    if example.method == "calendar.accessibility.get":
        return {"users": [_first(portal, "absences", "USER_ID")], "from": "2025-01-01", "to": "2027-01-01"}
    if example.method in ("im.notify.system.add", "im.message.add"):
        # a recipient the portal has: the example's user 5 may not exist (an unknown one gets result false)
        user = str(listed_users(portal)[0]["ID"])
        key = "USER_ID" if example.method == "im.notify.system.add" else "DIALOG_ID"
        return {**example.params, key: user}
    if example.method == "batch":
        # the same command keys as the example; get_user is a user.get (see the fixture's "optional")
        return {"halt": 0, "cmd": {"get_user": "user.get?ID=1", "get_department": "department.get"}}
    return example.params


@pytest.mark.parametrize("method", METHODS)
def test_emulator_answers_in_the_vendors_shape(method: str, emu: Emulator, portal: PortalData) -> None:
    example = load(method)
    response = requests.post(emu.webhook_url + example.method, json=params_for(example, portal), timeout=30)
    answer = response.json()
    assert response.status_code == 200 and "error" not in answer, answer
    rows = example.rows(answer)
    assert rows, f"{method}: the emulator answered no rows to compare"

    problems = differences(
        shape_of(example.rows()), shape_of(rows), example.allowed, example.optional, example.exact
    )
    # the rows themselves: an object for list answers, a number for the im.* senders (whose shape has no path)
    vendor_kinds = {json_type(row) for row in example.rows()} | set(example.allowed.get("", ()))
    got_kinds = {json_type(row) for row in rows}
    if not compatible(vendor_kinds, got_kinds):
        problems.append(f"result: emulator sends {sorted(got_kinds)}, vendor shows {sorted(vendor_kinds)}")
    envelope = differences(
        shape_of([{k: v for k, v in example.response.items() if k != "result"}]),
        shape_of([{k: v for k, v in answer.items() if k != "result"}]),
        ENVELOPE_ALLOWED,
        ENVELOPE_OPTIONAL,
        exact=False,
    )
    assert not problems + envelope, f"{method} ({example.source}):\n" + "\n".join(problems + envelope)
