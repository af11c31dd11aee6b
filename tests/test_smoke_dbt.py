from testkit.dbt import run_dbt


def test_dbt_builds_on_empty_raw_tables(fresh_database):
    result = run_dbt(fresh_database, "build")
    assert "Completed successfully" in result.stdout
