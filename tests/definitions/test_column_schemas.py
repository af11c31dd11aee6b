"""Column schemas in the Dagster UI: every raw and mart asset shows the columns its table really has."""

import json

import dagster as dg
import pytest

from orchestration.defs.dbt import MANIFEST
from orchestration.defs.definitions import build_definitions
from orchestration.warehouse.bootstrap import connect


@pytest.fixture(scope="module")
def asset_graph():
    return build_definitions().resolve_asset_graph()


def specs_in_group(asset_graph, group: str) -> dict[str, dg.AssetSpec]:
    return {
        key.to_user_string(): asset_graph.get(key)
        for key in asset_graph.get_all_asset_keys()
        if asset_graph.get(key).group_name == group
    }


def column_schema(node) -> dg.TableSchema:
    schema = node.metadata.get("dagster/column_schema")
    assert schema is not None, f"{node.key.to_user_string()} has no column schema"
    return getattr(schema, "schema", schema)  # TableSchemaMetadataValue or a bare TableSchema


def test_mart_schemas_are_the_documented_columns_of_each_model(asset_graph):
    marts = specs_in_group(asset_graph, "marts")
    assert {"marts/managerControl_Deal", "marts/calls", "marts/dim_managers"} <= set(marts)
    models = {
        node["name"]: node
        for node in json.loads(MANIFEST.read_text())["nodes"].values()
        if node["resource_type"] == "model"
    }
    for name, node in marts.items():
        schema = column_schema(node)
        documented = models[name.split("/", 1)[1]]["columns"]
        assert [column.name for column in schema.columns] == list(documented), name
        assert all(column.description for column in schema.columns), f"{name}: a column without description"


@pytest.mark.integration
def test_raw_schemas_are_the_columns_create_raw_tables_makes(asset_graph, fresh_database):
    raw = specs_in_group(asset_graph, "raw")
    assert len(raw) == 13, sorted(raw)  # 11 + leads and their status history (#15)
    conn = connect(fresh_database)  # the fixture ran create_raw_tables in it
    try:
        with conn.cursor() as cur:
            for name, node in raw.items():
                table = node.metadata["dagster/table_name"]
                table = getattr(table, "value", table)
                assert table == "raw." + name.split("/", 1)[1]
                cur.execute(
                    "select attname, format_type(atttypid, atttypmod), not attnotnull from pg_attribute"
                    " where attrelid = %s::regclass and attnum > 0 and not attisdropped order by attnum",
                    (table,),
                )
                described = [
                    (column.name, column.type, column.constraints.nullable)
                    for column in column_schema(node).columns
                ]
                assert described == cur.fetchall(), name
                assert all(column.description for column in column_schema(node).columns)
    finally:
        conn.close()
