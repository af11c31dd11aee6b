"""Timeline comments are read per deal with no COUNT, and a deal with more than a page gets them all."""

import pytest

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.testing import running_emulator
from orchestration.assets.raw_comments import fetch_comments
from orchestration.bitrix24 import Bitrix24Client, ClientSettings

pytestmark = pytest.mark.integration


def test_every_comment_of_every_deal_once_including_a_deal_with_three_pages():
    portal = generate(GeneratorConfig(seed=21, managers=6, days=10))
    comments = portal.tables["timeline_comments"]
    fields = comments.fields
    busy_deal = int(comments.as_dict(comments.rows[0])["ENTITY_ID"])
    template = comments.rows[0]
    next_id = max(int(comments.as_dict(row)["ID"]) for row in comments.rows) + 1
    # 120 more comments on one deal: three pages of 50
    for offset in range(120):
        row = dict(zip(fields, template, strict=True))
        row["ID"] = str(next_id + offset)
        comments.rows.append(tuple(row[name] for name in fields))
    deal_ids = sorted({int(comments.as_dict(row)["ENTITY_ID"]) for row in comments.rows})
    expected = sorted(int(comments.as_dict(row)["ID"]) for row in comments.rows)

    with running_emulator(portal, fast=True) as emu:
        client = Bitrix24Client(ClientSettings(webhook_url=emu.webhook_url, plan="unlimited"))
        got = sorted(int(row["ID"]) for row in fetch_comments(client, deal_ids))

    assert got == expected
    assert sum(1 for row in comments.rows if int(comments.as_dict(row)["ENTITY_ID"]) == busy_deal) > 100
    # one batch request per 50 deals, plus the busy deal's extra keyset pages
    assert client.stats.http_requests <= -(-len(deal_ids) // 50) + 3
