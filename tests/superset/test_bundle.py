"""The rendered bundle: stable UUIDs, resolvable references, dbt descriptions on columns, no secret."""

from __future__ import annotations

import io
import uuid
import zipfile

import dagster as dg
import pytest
import yaml

from orchestration.assets.dbt import ensure_manifest
from orchestration.assets.superset import mart_dependencies, superset_dashboards
from orchestration.definitions import build_definitions
from orchestration.superset.bundle import Bundle, column_descriptions, render_bundle
from orchestration.superset.resources import SupersetResource

URI = "postgresql+psycopg2://reader:XXXXXXXXXX@/b24ops?host=%2Fsocket&port=5432"
PASSWORD = "not-in-the-zip-3f1c"


@pytest.fixture(scope="module")
def manifest():
    return ensure_manifest()


@pytest.fixture(scope="module")
def bundle(manifest) -> Bundle:
    return render_bundle(URI, PASSWORD, manifest)


def test_rendering_is_deterministic(bundle, manifest):
    assert render_bundle(URI, PASSWORD, manifest).to_zip() == bundle.to_zip()


def test_uuids_are_valid_and_unique(bundle):
    uuids = [content["uuid"] for content in bundle.files.values() if "uuid" in content]
    assert len(uuids) == len(bundle.files) - 1  # all but metadata.yaml
    assert len(set(uuids)) == len(uuids)
    for value in uuids:
        uuid.UUID(value)


def test_references_resolve(bundle):
    databases = {content["uuid"] for content in bundle.of_kind("databases").values()}
    datasets = {content["uuid"]: content for content in bundle.of_kind("datasets").values()}
    charts = {content["uuid"] for content in bundle.of_kind("charts").values()}
    assert {dataset["database_uuid"] for dataset in datasets.values()} <= databases
    for chart in bundle.of_kind("charts").values():
        dataset = datasets[chart["dataset_uuid"]]
        known = {metric["metric_name"] for metric in dataset["metrics"]} | {
            column["column_name"] for column in dataset["columns"]
        }
        used = [*chart["params"].get("metrics", []), *chart["params"].get("all_columns", [])]
        used += [
            chart["params"][key] for key in ("x", "y", "size", "entity", "x_axis") if key in chart["params"]
        ]
        assert set(used) <= known, chart["slice_name"]
    for dashboard in bundle.of_kind("dashboards").values():
        placed = {
            node["meta"]["uuid"]
            for node in dashboard["position"].values()
            if isinstance(node, dict) and node.get("type") == "CHART"
        }
        assert placed and placed <= charts
        for native_filter in dashboard["metadata"]["native_filter_configuration"]:
            for target in native_filter["targets"]:
                if target:
                    target_dataset = datasets[target["datasetUuid"]]
                    columns = {column["column_name"] for column in target_dataset["columns"]}
                    assert target["column"]["name"] in columns


def test_both_dashboards_have_the_four_filters(bundle):
    for dashboard in bundle.of_kind("dashboards").values():
        names = [f["name"] for f in dashboard["metadata"]["native_filter_configuration"]]
        assert names == ["Date range", "Department (with sub-departments)", "Managers", "Team"]


def test_dataset_columns_carry_the_dbt_descriptions(bundle, manifest):
    descriptions = column_descriptions(manifest)
    daily_deals = bundle.files["datasets/b24ops_warehouse/deal_handling_daily.yaml"]
    by_name = {column["column_name"]: column["description"] for column in daily_deals["columns"]}
    assert by_name["deals_created"] == descriptions["fct_manager_daily_deals"]["deals_created"]
    # a renamed column takes the description of its source column
    assert by_name["department"] == descriptions["dim_departments"]["department_path"]
    assert by_name["manager_name"] == descriptions["dim_managers"]["manager_name"]
    described = [c for d in bundle.of_kind("datasets").values() for c in d["columns"] if c["description"]]
    assert len(described) >= 30


def test_no_project_keys_and_no_password_in_the_zip(bundle):
    archive = zipfile.ZipFile(io.BytesIO(bundle.to_zip()))
    names = archive.namelist()
    assert all(name.startswith("b24ops_bundle/") for name in names)
    assert "b24ops_bundle/metadata.yaml" in names
    text = "\n".join(archive.read(name).decode() for name in names)
    assert PASSWORD not in text
    assert "x-dbt" not in text and "x-layout" not in text and "x-filters" not in text
    database = yaml.safe_load(archive.read("b24ops_bundle/databases/b24ops_warehouse.yaml"))
    assert database["sqlalchemy_uri"] == URI
    assert database["allow_dml"] is False
    assert bundle.passwords() == {"databases/b24ops_warehouse.yaml": PASSWORD}


def test_asset_depends_on_every_mart_the_datasets_read():
    names = {key.path[-1] for key in mart_dependencies()}
    assert {"fct_manager_daily_deals", "fct_manager_daily_calls", "fct_manager_call_patterns"} <= names
    assert {"dim_departments", "dim_managers", "teams"} <= names


def test_asset_joins_the_code_location_graph():
    """Every upstream key is an asset of the code location: the lead can add it to definitions.py as is."""
    defs = build_definitions()
    others = [asset for asset in defs.assets or [] if asset is not superset_dashboards]
    graph = dg.Definitions(
        assets=[*others, superset_dashboards],
        resources={**(defs.resources or {}), "superset": SupersetResource()},
    ).resolve_asset_graph()
    key = dg.AssetKey(["bi", "superset_dashboards"])
    upstream = graph.get(key).parent_keys
    assert upstream == set(mart_dependencies())
    assert all(graph.has(parent) and not graph.get(parent).is_external for parent in upstream)
