"""dbt reaches the warehouse through a private rendered profile, not through this process's environment.

Real dbt invocations through dagster-dbt's resource; ``dbt ls`` needs no database, so the location is made up.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import yaml

from orchestration.assets.dbt import connected, dbt_resource, portal_vars, reuse_parse
from orchestration.warehouse.location import WarehouseLocation

PASSWORD = "not-a-real-password-0815"
LOCATION = WarehouseLocation("/nonexistent/socket-dir", 5433, "dbt_user", PASSWORD, "profile_test", False)
FULL_PARSE = "Unable to do partial parsing"


def test_the_profile_is_rendered_privately_and_the_environment_is_untouched() -> None:
    before = dict(os.environ)
    with connected(dbt_resource(), LOCATION) as dbt:
        folder = Path(dbt.profiles_dir)
        profile = yaml.safe_load((folder / "profiles.yml").read_text())["b24ops"]["outputs"]["warehouse"]
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert stat.S_IMODE((folder / "profiles.yml").stat().st_mode) == 0o600
    connection = {key: profile[key] for key in ("host", "port", "user", "password", "dbname")}
    assert connection == {
        "host": "/nonexistent/socket-dir",
        "port": 5433,
        "user": "dbt_user",
        "password": PASSWORD,
        "dbname": "profile_test",
    }
    assert not folder.exists()
    assert dict(os.environ) == before


def test_a_run_through_the_rendered_profile_reuses_the_parse() -> None:
    variables = json.dumps(portal_vars())
    with connected(dbt_resource(), LOCATION) as dbt:
        reuse_parse(variables, dbt=dbt)
        invocation = dbt.cli(["ls", "--resource-type", "source", "--vars", variables])
        messages = [event.raw_event["info"]["msg"] for event in invocation.stream_raw_events()]
        invocation.wait()
    assert not [m for m in messages if FULL_PARSE in m]
