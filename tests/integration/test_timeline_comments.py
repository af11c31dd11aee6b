"""Timeline comments are read per deal, every comment once, whether or not the portal pages by ``>ID``.

The vendor's ``crm.timeline.comment.list`` ignores every filter key but ENTITY_ID / ENTITY_TYPE (the
emulator's default); a portal that applies ``>ID`` is the emulator option ``comment_list_full_filter``.
"""

from collections.abc import Iterator

import pytest

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.model import PortalData
from bitrix24_emulator.server import MethodOptions
from bitrix24_emulator.testing import running_emulator
from orchestration.bitrix24 import Bitrix24Client, ClientSettings
from orchestration.defs.ingestion.raw_comments import CommentReader
from tests.support.emulated import HISTORY_END

pytestmark = pytest.mark.integration


def _with_busy_deals() -> PortalData:
    """A generated portal where one deal has 3+ pages of comments, one exactly 50 and one 51."""
    portal = generate(GeneratorConfig(seed=21, managers=6, days=10, end_date=HISTORY_END))
    comments = portal.tables["timeline_comments"]
    fields = comments.fields
    rows = [comments.as_dict(row) for row in comments.rows]
    per_deal: dict[str, int] = {}
    for row in rows:
        per_deal[str(row["ENTITY_ID"])] = per_deal.get(str(row["ENTITY_ID"]), 0) + 1
    deals = sorted(per_deal, key=int)
    wanted = {deals[0]: per_deal[deals[0]] + 120, deals[1]: 50, deals[2]: 51}
    assert all(per_deal[deal] <= 50 for deal in deals[1:3])
    next_id = max(int(row["ID"]) for row in rows) + 1
    template = rows[0]
    for deal, total in wanted.items():
        for _ in range(total - per_deal[deal]):
            row = {**template, "ID": str(next_id), "ENTITY_ID": deal}
            comments.rows.append(tuple(row[name] for name in fields))
            next_id += 1
    return portal


@pytest.fixture(scope="module")
def portal() -> PortalData:
    return _with_busy_deals()


def _comment_ids(portal: PortalData) -> Iterator[tuple[int, int]]:
    comments = portal.tables["timeline_comments"]
    for row in comments.rows:
        record = comments.as_dict(row)
        yield int(record["ENTITY_ID"]), int(record["ID"])


@pytest.mark.parametrize(
    ("full_filter", "paging", "busy_requests"),
    # Further requests: the >ID probe, then for the 3-page deal one offset call and one batch of the
    # remaining offsets (keyset: one page call), and one call each for the deals of 50 and 51 comments
    # (keyset: their own probes).
    [(False, "offset (start)", 5), (True, "keyset (>ID)", 4)],
    ids=["vendor-ignores-id-filter", "portal-applies-id-filter"],
)
def test_every_comment_of_every_deal_once(
    portal: PortalData, full_filter: bool, paging: str, busy_requests: int
) -> None:
    pairs = list(_comment_ids(portal))
    deal_ids = sorted({deal for deal, _ in pairs})
    expected = sorted(comment for _, comment in pairs)
    options = MethodOptions(comment_list_full_filter=full_filter)

    with running_emulator(portal, fast=True, methods=options) as emu:
        client = Bitrix24Client(ClientSettings(webhook_url=emu.webhook_url, plan="unlimited"))
        reader = CommentReader(client)
        got = sorted(int(row["ID"]) for row in reader.comments(deal_ids))

    assert got == expected  # each comment exactly once, the busy deals' included
    assert reader.paging == paging
    assert client.stats.http_requests == -(-len(deal_ids) // 50) + busy_requests
