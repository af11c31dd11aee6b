"""The dbt assets' runs reuse one parse of the project (orchestration.defs.dbt.reuse_parse), the windowed
ones too, whatever their window (orchestration.defs.dbt.window_env).

Real dbt invocations through dagster-dbt's resource, as the assets make them; ``dbt ls`` and compiling
inline SQL need no database, so the connection settings here are made up.
"""

import json
from pathlib import Path

import pytest
from dagster_dbt import DbtCliResource

from orchestration.defs.dbt import (
    PARSED_FOR_FILE,
    candidate_vars,
    connected,
    portal_vars,
    reuse_parse,
    window_env,
)
from orchestration.warehouse.location import WarehouseLocation
from testkit.dbt import private_dbt_project

FULL_PARSE = "Unable to do partial parsing"
PASSWORD = "not-a-real-password-4711"
NOWHERE = WarehouseLocation(
    host="/nonexistent/socket-dir",
    port=5432,
    user="postgres",
    password=PASSWORD,
    database="partial_parse_test",
    embedded=False,
)
# what the windowed models' SQL takes from the window (macros/bitrix24/snapshot_at.sql)
WINDOW_SQL = "select {{ window_start() }}, {{ window_end() }}"


def _messages(dbt: DbtCliResource, variables: str) -> list[str]:
    invocation = dbt.cli(["ls", "--resource-type", "source", "--vars", variables])
    messages = [event.raw_event["info"]["msg"] for event in invocation.stream_raw_events()]
    invocation.wait()
    return messages


@pytest.fixture
def connection_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("B24OPS_PG_HOST", "/nonexistent/socket-dir")
    monkeypatch.setenv("B24OPS_PG_DATABASE", "partial_parse_test")
    monkeypatch.setenv("B24OPS_PG_PASSWORD", PASSWORD)


@pytest.mark.usefixtures("connection_settings")
def test_a_run_with_the_assets_vars_skips_the_full_parse(tmp_path: Path) -> None:
    # a private copy: the project's own parse state is shared with every test running side by side
    project, dbt = private_dbt_project(tmp_path)
    variables = json.dumps(portal_vars())
    reuse_parse(variables, project, dbt)

    assert not [m for m in _messages(dbt, variables) if FULL_PARSE in m]
    # the same check sees a full parse when the vars differ, as when a window is given as vars
    window = json.dumps({**portal_vars(), "window_start": "2026-01-01T00:00:00+03:00"})
    assert [m for m in _messages(dbt, window) if FULL_PARSE in m]


@pytest.mark.usefixtures("connection_settings")
def test_the_parse_is_remembered_without_the_password(tmp_path: Path) -> None:
    project, dbt = private_dbt_project(tmp_path)
    reuse_parse(json.dumps(portal_vars()), project, dbt)

    remembered = (Path(project.project_dir) / "target" / PARSED_FOR_FILE).read_text()
    assert PASSWORD not in remembered
    assert len(remembered) == 64  # a SHA-256 hex digest


def _compiled(dbt: DbtCliResource, variables: str) -> tuple[str, list[str]]:
    """WINDOW_SQL as ``dbt compile`` renders it (no database needed), and dbt's messages."""
    invocation = dbt.cli(["compile", "--no-populate-cache", "--inline", WINDOW_SQL, "--vars", variables])
    events = [event.raw_event for event in invocation.stream_raw_events()]
    invocation.wait()
    compiled = [event["data"]["compiled"] for event in events if event["info"]["name"] == "CompiledNode"]
    return compiled[0].strip(), [event["info"]["msg"] for event in events]


@pytest.mark.usefixtures("connection_settings")
def test_windowed_runs_reuse_one_parse_and_compile_their_window(tmp_path: Path) -> None:
    project, dbt = private_dbt_project(tmp_path)
    variables = candidate_vars(portal_vars())
    for day in ("2026-01-01", "2026-01-02"):  # two consecutive partitions
        window = {"window_start": f"{day}T00:00:00+03:00", "window_end": f"{day}T23:59:59+03:00"}
        with connected(dbt, NOWHERE, window_env(window)) as windowed:
            reuse_parse(variables, project, windowed)  # as the windowed asset: parses the first time only
            compiled, messages = _compiled(windowed, variables)

        assert not [m for m in messages if FULL_PARSE in m]
        assert (
            compiled
            == f"select '{window['window_start']}'::timestamptz, '{window['window_end']}'::timestamptz"
        )
    # the window given as vars, as before (and by hand): the same SQL, after a full parse
    by_vars, messages = _compiled(dbt, candidate_vars({**portal_vars(), **window}))
    assert by_vars == compiled
    assert [m for m in messages if FULL_PARSE in m]
