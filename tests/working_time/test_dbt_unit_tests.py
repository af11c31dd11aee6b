"""The dbt ``unit_tests`` of the working-time models (_working_time__unit_tests.yml) pass.

They need the input relations to exist (dbt reads their column types), so they run in the scenario
database after its ``dbt run``.
"""

from __future__ import annotations

import json

import pytest

from testkit.dbt import dbt_target_dir, run_dbt
from tests.working_time.probes import WorkingTimeDatabase

WORKING_TIME_UNIT_TESTS = 6


@pytest.mark.integration
def test_dbt_unit_tests_of_the_working_time_models_pass(working_time_db: WorkingTimeDatabase) -> None:
    result = run_dbt(working_time_db.location, "test", "--select", "test_type:unit,tag:working_time")
    # counted from dbt's results, not its summary line: that also counts the project's on-run-end hook
    run_results = json.loads((dbt_target_dir(working_time_db.location) / "run_results.json").read_text())
    unit_tests = {
        outcome["unique_id"]: outcome["status"]
        for outcome in run_results["results"]
        if outcome["unique_id"].startswith("unit_test.")
    }
    assert len(unit_tests) == WORKING_TIME_UNIT_TESTS, result.stdout[-3000:]
    assert set(unit_tests.values()) == {"pass"}, result.stdout[-3000:]
