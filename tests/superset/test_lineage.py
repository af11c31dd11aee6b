"""One declaration of what each dashboard reads — the datasets' ``x-dbt-relations`` — and the three places
that must agree with it: the bundle's own SQL, dbt's exposures and the dashboards asset in Dagster."""

from __future__ import annotations

import re

import dagster as dg
import pytest
import yaml

from orchestration.defs.dbt import ensure_manifest, prepared_project
from orchestration.defs.definitions import build_definitions
from orchestration.defs.superset import mart_dependencies
from orchestration.paths import PROJECT_ROOT
from orchestration.superset.bundle import BUNDLE_DIR
from orchestration.superset.lineage import RELATIONS_KEY, bundle_relations, dashboard_relations

EXPOSURES = PROJECT_ROOT / "dbt_project/models/marts/_exposures.yml"
_MARTS_NAME = re.compile(r'marts\."?(\w+)"?')


@pytest.fixture(scope="module")
def relations() -> dict[str, str]:
    """``{name: resource type}`` of every dbt model and seed."""
    manifest = yaml.safe_load(ensure_manifest().read_text())
    return {
        node["name"]: node["resource_type"]
        for node in manifest["nodes"].values()
        if node["resource_type"] in {"model", "seed"}
    }


def exposure_relations() -> dict[str, set[str]]:
    """``{dashboard slug: the refs of its exposure}`` (the slug is the last part of the exposure's url)."""
    exposures = yaml.safe_load(EXPOSURES.read_text())["exposures"]
    return {
        exposure["url"].rstrip("/").rsplit("/", 1)[-1]: {
            ref.removeprefix("ref('").removesuffix("')") for ref in exposure["depends_on"]
        }
        for exposure in exposures
    }


def datasets() -> list[dict]:
    return [yaml.safe_load(path.read_text()) for path in sorted((BUNDLE_DIR / "datasets").rglob("*.yaml"))]


def test_exposures_are_what_the_dashboards_read():
    assert exposure_relations() == {slug: set(read) for slug, read in dashboard_relations().items()}


def test_the_dashboards_asset_depends_on_what_the_datasets_declare():
    graph = build_definitions().resolve_asset_graph()
    parents = graph.get(dg.AssetKey(["bi", "superset_dashboards"])).parent_keys
    assert parents == set(mart_dependencies(prepared_project()))
    assert {key.path[-1] for key in parents} == bundle_relations()


@pytest.mark.parametrize("dataset", datasets(), ids=lambda dataset: dataset["table_name"])
def test_a_dataset_declares_every_relation_its_sql_reads(dataset, relations):
    declared = set(dataset[RELATIONS_KEY])
    assert declared <= relations.keys()
    assert dataset["x-dbt-model"] in declared
    read = {dataset["table_name"]} if dataset["sql"] is None else set(_MARTS_NAME.findall(dataset["sql"]))
    # a name that is no relation is one of dbt's functions, declared by the model whose post-hook creates it
    assert read & relations.keys() <= declared


def test_a_drifted_exposure_is_seen(tmp_path, monkeypatch):
    drifted = yaml.safe_load(EXPOSURES.read_text())
    drifted["exposures"][0]["depends_on"].append("ref('managerControl_Deal')")
    path = tmp_path / "_exposures.yml"
    path.write_text(yaml.safe_dump(drifted))
    monkeypatch.setattr(f"{__name__}.EXPOSURES", path)
    with pytest.raises(AssertionError):
        test_exposures_are_what_the_dashboards_read()
