"""The generated portal ends today in the portal's time zone unless told otherwise (the demo's portal)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bitrix24_emulator.generator import GeneratorConfig, generate, portal_fingerprint

# 14 and 11 hours either side of UTC.
AHEAD, BEHIND = "Pacific/Kiritimati", "Pacific/Pago_Pago"


def test_the_end_date_defaults_to_today_in_the_portals_zone() -> None:
    for zone in (AHEAD, BEHIND, "Europe/Moscow"):
        before = datetime.now(ZoneInfo(zone)).date()
        end = GeneratorConfig(portal_time_zone=zone, managers=6, days=2).end_date
        assert end in {before, datetime.now(ZoneInfo(zone)).date()}, zone  # a midnight may pass in between
    # 25 hours apart: their dates always differ, so the default cannot be one zone's date for both.
    assert (
        GeneratorConfig(portal_time_zone=AHEAD).end_date > GeneratorConfig(portal_time_zone=BEHIND).end_date
    )


def test_an_explicit_end_date_gives_the_same_portal_and_moves_its_history() -> None:
    config = GeneratorConfig(seed=3, managers=6, departments=2, days=5, end_date=date(2026, 3, 10))
    portal = generate(config)
    assert portal_fingerprint(portal) == portal_fingerprint(generate(config))
    assert portal.snapshot_at.startswith("2026-03-10T00:00:00")
    deals = portal.tables["deals"]
    created = sorted(row[deals.index_of("DATE_CREATE")][:10] for row in deals.rows)
    assert created[0] >= "2026-03-05" and created[-1] <= "2026-03-09"
