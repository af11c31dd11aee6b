"""Which dbt models are built per daily partition is each model's own config (``tags=['partitioned_daily']``),
not the folder its file sits in: moving files between folders changes no model's partitioning.

A copy of the dbt project with two files moved across folders is parsed by real dbt (no database needed)
and turned into the dbt assets as the code location builds them.
"""

from __future__ import annotations

import json
import shutil

import pytest
from dagster_dbt import DbtCliResource, DbtProject

from orchestration.defs.dbt import (
    DBT_EXECUTABLE,
    DBT_PROJECT_DIR,
    PARTITIONED_TAG,
    _parse_into_target,
    build_dbt_assets,
    prepared_project,
)

# one partitioned model into an unpartitioned folder, one unpartitioned model into a partitioned folder
MOVES = {
    "models/marts/deal_handling/fct_manager_daily_deals.sql": "models/marts/core/fct_manager_daily_deals.sql",
    "models/marts/core/dim_managers.sql": "models/marts/deal_handling/dim_managers.sql",
}


def partitioned_models(project: DbtProject) -> set[str]:
    """The names of the dbt models of the partitioned asset definition."""
    _, windowed = build_dbt_assets(project)
    assert windowed.partitions_def is not None
    return {key.path[-1] for key in windowed.keys}


@pytest.fixture(scope="module")
def moved_project(tmp_path_factory: pytest.TempPathFactory) -> DbtProject:
    copy = tmp_path_factory.mktemp("moved") / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    for old, new in MOVES.items():
        (copy / old).rename(copy / new)
    project = DbtProject(project_dir=copy, profiles_dir=copy)
    dbt = DbtCliResource(project_dir=str(copy), profiles_dir=str(copy), dbt_executable=DBT_EXECUTABLE)
    _parse_into_target(project, "manifest.json", dbt=dbt)
    return project


def test_moving_files_changes_no_models_partitioning(moved_project: DbtProject) -> None:
    before = partitioned_models(prepared_project())
    assert {"fct_manager_daily_deals", "managerControl_Deal", "int_deals_first_touched"} <= before
    assert "dim_managers" not in before
    assert partitioned_models(moved_project) == before


def test_no_unpartitioned_model_reads_a_partitioned_one() -> None:
    """The unpartitioned dbt asset is built before the partitioned one: a model of it that read a partitioned
    model would find it missing on a new warehouse, and stale on every other (int_users_unknown reading
    int_manager_daily_activities_counted failed the first `b24ops sync` so)."""
    project = prepared_project()
    manifest = json.loads(project.manifest_path.read_text())
    models = {uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] == "model"}
    partitioned = {uid for uid, node in models.items() if PARTITIONED_TAG in node["tags"]}
    crossing = sorted(
        f"{node['name']} reads {models[parent]['name']}"
        for uid, node in models.items()
        if uid not in partitioned
        for parent in node["depends_on"]["nodes"]
        if parent in partitioned
    )
    assert crossing == []
