"""The unpartitioned dbt asset's runs reuse one parse of the project (orchestration.defs.dbt.reuse_parse).

Real dbt invocations through dagster-dbt's resource, as the asset makes them; ``dbt ls`` needs no
database, so the connection settings here are made up.
"""

import json
from pathlib import Path

import pytest
from dagster_dbt import DbtCliResource

from orchestration.defs.dbt import PARSED_FOR_FILE, portal_vars, reuse_parse
from testkit.dbt import private_dbt_project

FULL_PARSE = "Unable to do partial parsing"
PASSWORD = "not-a-real-password-4711"


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
    # the same check sees a full parse when the vars differ, as in the windowed asset's runs
    window = json.dumps({**portal_vars(), "window_start": "2026-01-01T00:00:00+03:00"})
    assert [m for m in _messages(dbt, window) if FULL_PARSE in m]


@pytest.mark.usefixtures("connection_settings")
def test_the_parse_is_remembered_without_the_password(tmp_path: Path) -> None:
    project, dbt = private_dbt_project(tmp_path)
    reuse_parse(json.dumps(portal_vars()), project, dbt)

    remembered = (Path(project.project_dir) / "target" / PARSED_FOR_FILE).read_text()
    assert PASSWORD not in remembered
    assert len(remembered) == 64  # a SHA-256 hex digest
