"""Which emulated portal the demo last loaded into each warehouse.

The demo's portal is a pure function of its seed, size and end date (today), so once a demo has loaded it
into a warehouse its past days cannot change: running the demo again the same day syncs only today's
partition, as the schedule's run every few hours does, instead of the whole history again.
"""

from __future__ import annotations

import json
from datetime import date

from orchestration.paths import DATA_DIR
from orchestration.warehouse.location import WarehouseLocation

STATE_FILE = DATA_DIR / "demo-portals.json"


def portal_name(*, seed: int, managers: int, days: int, end_date: date) -> str:
    return f"seed {seed}, {managers} managers, {days} days to {end_date.isoformat()}"


def _state() -> dict[str, str]:
    try:
        return dict(json.loads(STATE_FILE.read_text()))
    except (OSError, ValueError):
        return {}


def loaded_portal(location: WarehouseLocation) -> str | None:
    """The portal the last successful demo loaded into this warehouse, if any."""
    return _state().get(location.redacted())


def remember_portal(location: WarehouseLocation, portal: str) -> None:
    state = {**_state(), location.redacted(): portal}
    STATE_FILE.parent.mkdir(parents=True, exist_ok=True)
    STATE_FILE.write_text(json.dumps(state, indent=1) + "\n")
