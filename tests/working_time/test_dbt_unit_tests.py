"""The dbt ``unit_tests`` of the working-time models (_working_time__unit_tests.yml) pass.

They need the input relations to exist (dbt reads their column types), so they run in the scenario
database after its ``dbt run``.
"""

from __future__ import annotations

import pytest

from testkit.dbt import run_dbt
from tests.working_time.probes import WorkingTimeDatabase


@pytest.mark.integration
def test_dbt_unit_tests_of_the_working_time_models_pass(working_time_db: WorkingTimeDatabase) -> None:
    result = run_dbt(working_time_db.location, "test", "--select", "test_type:unit,tag:working_time")
    assert "PASS=6" in result.stdout, result.stdout[-3000:]
