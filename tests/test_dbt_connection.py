"""dbt reaches the warehouse through a private rendered profile, not through this process's environment.

Real dbt invocations through dagster-dbt's resource; ``dbt ls`` needs no database, so the location is made up.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dbt.adapters.factory import FACTORY, reset_adapters

from orchestration.defs.dbt import (
    build_or_explain,
    connected,
    dbt_resource,
    portal_vars,
    prepared_project,
    reuse_parse,
)
from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation
from orchestration.warehouse.raw_load import load_versions
from orchestration.warehouse.raw_tables import RAW_ENTITIES
from testkit.dbt import private_dbt_project

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
    assert profile["threads"] == 2


def test_the_profile_builds_as_many_models_at_once_as_the_setting_says() -> None:
    with connected(dbt_resource(), LOCATION, threads=6) as dbt:
        profile = yaml.safe_load((Path(dbt.profiles_dir) / "profiles.yml").read_text())
    assert profile["b24ops"]["outputs"]["warehouse"]["threads"] == 6


def test_a_run_through_the_rendered_profile_reuses_the_parse(tmp_path: Path) -> None:
    # a private copy: the project's own parse state is shared with every test running side by side
    project, private = private_dbt_project(tmp_path)
    variables = json.dumps(portal_vars())
    with connected(private, LOCATION) as dbt:
        reuse_parse(variables, project, dbt)
        invocation = dbt.cli(["ls", "--resource-type", "source", "--vars", variables])
        messages = [event.raw_event["info"]["msg"] for event in invocation.stream_raw_events()]
        invocation.wait()
    assert not [m for m in messages if FULL_PARSE in m]


def test_a_dbt_command_starts_dbt_once_and_opens_no_adapter_in_this_process(tmp_path: Path) -> None:
    """dagster-dbt's own resource first runs `dbt --version` (a Python start importing dbt, per resource
    instance: per step) and loads the profile and every macro here to open an adapter that only
    fetch_row_counts() / fetch_column_metadata() use; the assets use neither, so a step starts dbt once."""
    project, private = private_dbt_project(tmp_path)
    started: list[list[str]] = []
    watching = [True]  # an audit hook stays for the life of the process: it records only this block

    def record(event: str, args: tuple) -> None:
        if watching[0] and event == "subprocess.Popen":
            started.append([str(arg) for arg in args[1]])

    sys.addaudithook(record)
    reset_adapters()
    try:
        with connected(private, LOCATION) as dbt:
            variables = json.dumps(portal_vars())
            dbt.cli(["ls", "--resource-type", "source", "--vars", variables]).wait()
    finally:
        watching[0] = False
    assert len(started) == 1, started
    assert "ls" in started[0] and "--version" not in started[0]
    assert not FACTORY.adapters


@pytest.mark.integration
def test_a_failing_dbt_test_is_named_not_the_command_line(fresh_database) -> None:
    """#18 point 6: dagster-dbt says only "The dbt CLI process with command … failed"; the failure names the
    test (the sync prints that message as its root cause, see orchestration/defs/run_errors.py)."""
    conn = connect(fresh_database)
    try:
        load_versions(
            conn,
            RAW_ENTITIES["deals"],
            portal_id="default",
            partition_key="2026-10-02",
            records=[{"ID": "1", "DATE_MODIFY": "2026-10-02T10:00:00+03:00", "DATE_CREATE": ""}],
        )
        conn.commit()
    finally:
        conn.close()
    prepared_project()  # the manifest dagster-dbt reads the test's events against
    with connected(dbt_resource(), fresh_database) as dbt, pytest.raises(dg.Failure) as failure:
        # the stage dictionary too: the deals' unit test reads its columns from the warehouse (dbt unit
        # tests need their parents built)
        list(build_or_explain(dbt, ["build", "--select", "stg_bitrix24__stages stg_bitrix24__deals"], None))
    assert failure.value.description.startswith(
        "dbt build failed: test not_null_stg_bitrix24__deals_created_at failed: Got 1 result"
    ), failure.value.description
