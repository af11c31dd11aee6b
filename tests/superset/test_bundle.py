"""The rendered bundle: stable UUIDs, resolvable references, dbt descriptions on columns, no secret."""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from types import SimpleNamespace

import dagster as dg
import pytest
import yaml

from orchestration.defs.dbt import ensure_manifest, prepared_project
from orchestration.defs.definitions import build_definitions
from orchestration.defs.superset import mart_dependencies
from orchestration.i18n import gettext_for
from orchestration.superset.bundle import Bundle, column_descriptions, render_bundle
from orchestration.superset.labels import DATE_FORMAT_KEYS, LABEL_KEYS
from orchestration.warehouse.bootstrap import connect
from tests.support.superset_sql import NO_RANGE, render_dataset_sql

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


def test_both_dashboards_have_the_five_filters(bundle):
    for dashboard in bundle.of_kind("dashboards").values():
        names = [f["name"] for f in dashboard["metadata"]["native_filter_configuration"]]
        assert names == ["Date range", "Staff", "Department (with sub-departments)", "Managers", "Team"]


def test_the_staff_filter_opens_on_the_sales_departments_and_every_chart_dataset_reads_it(bundle):
    """#19 point 8: the dashboards' default people are the CLI's (dim_managers.is_in_sales_report); each
    dataset a chart reads consumes the Staff filter itself (Superset would add `staff IN (…)` otherwise)."""
    for dashboard in bundle.of_kind("dashboards").values():
        (staff,) = [f for f in dashboard["metadata"]["native_filter_configuration"] if f["name"] == "Staff"]
        assert staff["defaultDataMask"]["filterState"]["value"] == ["Sales departments"]
        assert staff["defaultDataMask"]["extraFormData"]["filters"] == [
            {"col": "staff", "op": "IN", "val": ["Sales departments"]}
        ]
    datasets = {content["uuid"]: content for content in bundle.of_kind("datasets").values()}
    read = {chart["dataset_uuid"] for chart in bundle.of_kind("charts").values()}
    for dataset_uuid in read:
        sql, name = datasets[dataset_uuid]["sql"], datasets[dataset_uuid]["table_name"]
        assert "filter_values('staff', remove_filter=True)" in sql, name
        assert "is_in_sales_report" in sql, name


def test_dataset_columns_carry_the_dbt_descriptions(bundle, manifest):
    descriptions = column_descriptions(manifest)
    daily_deals = bundle.files["datasets/b24ops_warehouse/deal_handling_daily.yaml"]
    by_name = {column["column_name"]: column["description"] for column in daily_deals["columns"]}
    assert by_name["deals_created"] == descriptions["fct_manager_daily_deals"]["deals_created"]
    # a renamed column takes the description of its source column
    assert by_name["department"] == descriptions["dim_departments"]["department_path"]
    assert by_name["manager_name"] == descriptions["dim_managers"]["manager_display_name"]
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
    names = {key.path[-1] for key in mart_dependencies(prepared_project())}
    assert {"fct_manager_daily_deals", "fct_manager_daily_calls", "fct_manager_call_patterns"} <= names
    assert {"dim_departments", "dim_managers", "team_members"} <= names
    # read only through marts.manager_deal_backlog(from, to), the function its post-hook creates
    assert "fct_manager_daily_backlog" in names


def test_asset_joins_the_code_location_graph():
    """Every upstream key is an asset of the code location: the lead can add it to definitions.py as is."""
    graph = build_definitions().resolve_asset_graph()
    key = dg.AssetKey(["bi", "superset_dashboards"])
    upstream = graph.get(key).parent_keys
    assert upstream == set(mart_dependencies(prepared_project()))
    assert all(graph.has(parent) and not graph.get(parent).is_external for parent in upstream)


PERIOD_DATASET = "datasets/b24ops_warehouse/deal_backlog_period.yaml"
# What Superset 6.1's get_time_filter(target_type='DATE') gives on PostgreSQL for a range's ends
# (PostgresBaseEngineSpec.convert_dttm: the date of the datetime).
RANGE_2026_10 = SimpleNamespace(
    from_expr="TO_DATE('2026-10-01', 'YYYY-MM-DD')",
    to_expr="TO_DATE('2026-11-01', 'YYYY-MM-DD')",
    time_range="2026-10-01 : 2026-11-01",
)
_FUNCTION_CALL = re.compile(r"marts\.manager_(?:deal_backlog|call_patterns)\((.+?)\) as \w+", re.DOTALL)
PATTERNS_DATASET = "datasets/b24ops_warehouse/call_patterns.yaml"


@pytest.mark.parametrize(
    ("time_filter", "days"),
    [(RANGE_2026_10, ("2026-10-01", "2026-10-31")), (NO_RANGE, ("-infinity", "infinity"))],
)
@pytest.mark.parametrize("dataset", [PERIOD_DATASET, PATTERNS_DATASET])
def test_period_dataset_asks_the_function_for_the_days_of_the_range(
    bundle, fresh_database, time_filter, days, dataset
):
    """Superset's range excludes its end and the other charts compare their DATE columns with the ends'
    dates: the function (both ends inclusive) must get exactly those days; no range = the whole history.
    The pattern flags too (#19: a month starting before the range no longer empties the table; the CLI
    reads the same function)."""
    sql = render_dataset_sql(bundle.files[dataset], time_filter, {})
    call = _FUNCTION_CALL.search(sql)
    assert call, sql
    conn = connect(fresh_database)
    try:
        with conn.cursor() as cur:
            # the arguments' types as the function sees them (date), then as text (infinity included)
            cur.execute(
                "select pg_typeof(first_day)::text, pg_typeof(last_day)::text,"
                " first_day::text, last_day::text"
                f" from (select {call.group(1)}) as arguments(first_day, last_day)"
            )
            *types, first_day, last_day = cur.fetchone()
    finally:
        conn.close()
    assert types == ["date", "date"]
    assert (first_day, last_day) == days


def test_period_dataset_consumes_the_department_and_team_filters(bundle):
    unfiltered = render_dataset_sql(bundle.files[PERIOD_DATASET], RANGE_2026_10, {})
    filtered = render_dataset_sql(
        bundle.files[PERIOD_DATASET], RANGE_2026_10, {"department": ["Sales"], "team": ["A"]}
    )
    assert "marts.department_subtree(" not in unfiltered and "marts.teams" not in unfiltered
    assert "marts.department_subtree(" in filtered and "in ('Sales')" in filtered
    assert "from marts.teams where team_name in ('A')" in filtered


def test_deal_handling_shows_the_period_backlog_not_the_newest_day(bundle):
    charts = {content["slice_name"]: content for content in bundle.of_kind("charts").values()}
    period_dataset = bundle.files[PERIOD_DATASET]["uuid"]
    table = charts["Backlog per manager for the period"]
    assert table["dataset_uuid"] == period_dataset
    assert {
        "deals_with_overdue_activities",
        "open_deals_without_planned_activities",
        "as_of_date",
        "as_of_kind",
        "avg_deals_with_overdue_activities",
        "avg_open_deals_without_planned_activities",
    } <= set(table["params"]["all_columns"])
    assert charts["Most overdue deals at the end of the period (top 15)"]["dataset_uuid"] == period_dataset
    text = bundle.to_zip()
    assert b"is_latest_snapshot" not in zipfile.ZipFile(io.BytesIO(text)).read(
        "b24ops_bundle/datasets/b24ops_warehouse/deal_handling_daily.yaml"
    )
    dashboard = next(d for d in bundle.of_kind("dashboards").values() if d["slug"] == "deal-handling")
    placed = {
        node["meta"]["uuid"]
        for node in dashboard["position"].values()
        if isinstance(node, dict) and node.get("type") == "CHART"
    }
    assert table["uuid"] in placed


def _pairs(english, russian, key=None):
    """(key, English value, Russian value) of every scalar of two renderings of the same bundle."""
    if isinstance(english, dict):
        assert english.keys() == russian.keys()
        for name in english:
            yield from _pairs(english[name], russian[name], name)
    elif isinstance(english, list):
        assert len(english) == len(russian)
        for item_en, item_ru in zip(english, russian, strict=True):
            yield from _pairs(item_en, item_ru, key)
    else:
        yield key, english, russian


def test_the_russian_bundle_is_the_same_bundle_with_its_labels_and_day_formats_translated(bundle, manifest):
    ru = gettext_for("ru")
    russian = render_bundle(URI, PASSWORD, manifest, language="ru")
    pairs = list(_pairs(bundle.files, russian.files))
    changed = {key for key, english, translated in pairs if english != translated}
    # only labels, the SQL's shown words and day formats differ: the same UUIDs, queries, metrics
    # (and the Staff filter's default option, in the filter's value: val, value, label)
    assert changed <= LABEL_KEYS | DATE_FORMAT_KEYS | {"sql", "sliceName", "val", "value", "label"}
    for key, english, translated in pairs:
        # (a "name" is also the column of a filter's target: the filters' names are checked below)
        if key in LABEL_KEYS - {"description", "name"} and isinstance(english, str) and english:
            assert translated == ru(english) != english, english
    titles = {content["dashboard_title"] for content in russian.of_kind("dashboards").values()}
    assert titles == {"Работа со сделками", "Звонки"}
    dashboard = russian.files["dashboards/deal-handling.yaml"]
    filters = [spec["name"] for spec in dashboard["metadata"]["native_filter_configuration"]]
    assert filters == ["Период", "Сотрудники", "Отдел (с подотделами)", "Менеджеры", "Команда"]
    (staff,) = [f for f in dashboard["metadata"]["native_filter_configuration"] if f["name"] == "Сотрудники"]
    # the default option is the Russian option the options dataset's SQL shows
    assert staff["defaultDataMask"]["filterState"]["value"] == ["Отделы продаж"]
    assert "'Отделы продаж'" in russian.files["datasets/b24ops_warehouse/staff.yaml"]["sql"]
    assert "'оценка'" in russian.files["datasets/b24ops_warehouse/deal_backlog_period.yaml"]["sql"]
    formats = {value for key, _, value in pairs if key in DATE_FORMAT_KEYS}
    assert formats == {"%d.%m.%Y"}  # (the pattern table has no month column since #19: it reads the range)


def _terms_before_rate(columns: list[str]) -> None:
    """The connect rate stands right after its denominator and numerator (docs/metrics.md)."""
    at = columns.index("connect_rate")
    assert columns[at - 2 : at] == ["calls_outgoing", "calls_outgoing_connected"], columns


def test_connect_rate_shows_its_terms_one_format_and_dbts_formula(bundle):
    daily = bundle.files["datasets/b24ops_warehouse/call_traffic_daily.yaml"]
    metrics = {metric["metric_name"]: metric for metric in daily["metrics"]}
    rate = metrics["connect_rate"]
    # the formula is dbt's SQL function, not restated here
    assert rate["expression"] == "marts.connect_rate(SUM(calls_outgoing_connected), SUM(calls_outgoing))"
    assert rate["d3format"] == ".1%"
    assert metrics["calls_outgoing_connected"]["verbose_name"] == "Outgoing connected"
    assert metrics["calls_connected"]["verbose_name"] == "Connected (all directions)"
    charts = {chart["slice_name"]: chart["params"] for chart in bundle.of_kind("charts").values()}
    _terms_before_rate(charts["Call traffic per manager"]["metrics"])
    patterns = next(p for name, p in charts.items() if name.startswith("Unhealthy call patterns"))
    _terms_before_rate(patterns["all_columns"])
    assert patterns["column_config"]["connect_rate"]["d3NumberFormat"] == ".1%"
    for params in charts.values():
        if params.get("y") == "connect_rate":
            assert params["y_axis_format"] == ".1%"


def test_patterns_table_lists_flagged_first_with_dbts_reason(bundle):
    dataset = bundle.files["datasets/b24ops_warehouse/call_patterns.yaml"]
    # the reason and the flag come from dbt, not restated in the dataset's SQL
    assert "patterns.pattern_reason" in dataset["sql"] and "patterns.is_flagged" in dataset["sql"]
    assert " or patterns." not in dataset["sql"]
    chart = next(c for c in bundle.of_kind("charts").values() if c["slice_name"].startswith("Unhealthy call"))
    assert chart["params"]["order_by_cols"][0] == '["is_flagged", false]'
    assert "pattern_reason" in chart["params"]["all_columns"]
    assert "30 %" in chart["description"] and "60 s" in chart["description"]


def test_every_dataset_and_the_managers_filter_read_dims_display_name(bundle):
    """One label per person: the filter's options and every chart's manager_name are dim_managers'
    unique display name, so picking a name picks one person and a chart axis never merges two."""
    for path, dataset in bundle.of_kind("datasets").items():
        if any(column["column_name"] == "manager_name" for column in dataset["columns"]):
            assert "manager_display_name as manager_name" in (dataset["sql"] or ""), path
    for dashboard in bundle.of_kind("dashboards").values():
        managers = next(
            f for f in dashboard["metadata"]["native_filter_configuration"] if f["name"] == "Managers"
        )
        (target,) = managers["targets"]
        assert target["column"]["name"] == "manager_name"
        filter_dataset = next(
            d for d in bundle.of_kind("datasets").values() if d["uuid"] == target["datasetUuid"]
        )
        assert "manager_display_name as manager_name" in filter_dataset["sql"]


# the CLI's default period (the last 30 days, today included) in Superset's advanced time-range syntax
LAST_30_DAYS_WITH_TODAY = 'DATEADD(DATETIME("today"), -29, day) : DATEADD(DATETIME("today"), 1, day)'


def test_date_range_opens_on_the_last_30_days_and_names_wrap(bundle):
    """#19 point 7: a default period (Superset's relative range), full department names in the filter bar."""
    for dashboard in bundle.of_kind("dashboards").values():
        filters = {f["name"]: f for f in dashboard["metadata"]["native_filter_configuration"]}
        default = filters["Date range"]["defaultDataMask"]
        assert default["extraFormData"] == {"time_range": LAST_30_DAYS_WITH_TODAY}
        assert default["filterState"] == {"value": LAST_30_DAYS_WITH_TODAY}
        assert filters["Managers"]["defaultDataMask"]["extraFormData"] == {}
        assert "white-space: normal" in dashboard["css"]


def test_durations_read_as_hours_and_minutes_from_dbts_functions(bundle):
    """#19 point 4: one unit per kind of duration, the conversion in dbt (marts.hours_minutes*)."""
    metrics = {
        metric["metric_name"]: metric
        for dataset in bundle.of_kind("datasets").values()
        for metric in dataset.get("metrics", [])
    }
    for name in ("avg_response_working_minutes", "avg_wait_incl_untouched_working_minutes"):
        assert metrics[name]["expression"].startswith("marts.hours_minutes("), name
        assert metrics[name]["verbose_name"].endswith("working h:mm"), name
    for name in ("avg_talk_seconds", "total_talk_minutes"):
        assert metrics[name]["expression"].startswith("marts.hours_minutes_seconds("), name
        assert metrics[name]["verbose_name"].endswith("h:mm:ss"), name


def test_bar_charts_rank_a_top_or_bottom_15_horizontally_and_tables_have_no_cell_bars(bundle):
    """#19 point 6: no chart of ~70 rotated names; tables without a bar in every cell."""
    charts = {chart["slice_name"]: chart["params"] for chart in bundle.of_kind("charts").values()}
    assert not [name for name, params in charts.items() if params["viz_type"] == "bubble_v2"]
    bars = {name: params for name, params in charts.items() if params["viz_type"] == "echarts_timeseries_bar"}
    assert len(bars) == 3
    for name, params in bars.items():
        assert params["orientation"] == "horizontal" and params["row_limit"] == 15, name
        assert params["timeseries_limit_metric"] == params["x_axis_sort"], name
    tables = [params for params in charts.values() if params["viz_type"] == "table"]
    assert tables and all(params.get("show_cell_bars") is False for params in tables)  # Superset: on
    assert {"Deal handling per department", "Call traffic per department"} <= set(charts)


def test_per_manager_tables_put_each_department_subtotal_above_its_managers(bundle):
    """#19 point 6: the per-manager tables read a dataset rendered from the daily one (one source of SQL
    and metrics) that adds a 'Department total' row per department, sorted above its managers."""
    datasets = {content["uuid"]: content for content in bundle.of_kind("datasets").values()}
    charts = {chart["slice_name"]: chart for chart in bundle.of_kind("charts").values()}
    for table, daily in (
        ("Deal handling per manager", "deal_handling_daily"),
        ("Call traffic per manager", "call_traffic_daily"),
        ("Request handling per manager", "request_handling"),
    ):
        params = charts[table]["params"]
        dataset = datasets[charts[table]["dataset_uuid"]]
        source = next(d for d in datasets.values() if d["table_name"] == daily)
        assert dataset["table_name"] == f"{daily}_with_subtotals"
        assert params["groupby"] == ["department", "row_label"]
        assert (params["timeseries_limit_metric"], params["order_desc"]) == ("row_order", False)
        assert "'Department total'" in dataset["sql"]
        derived_lines = {line.strip() for line in dataset["sql"].splitlines()}
        assert {line.strip() for line in source["sql"].splitlines()} <= derived_lines
        shared = {m["metric_name"]: m["expression"] for m in source["metrics"]}
        derived = {m["metric_name"]: m["expression"] for m in dataset["metrics"]}
        assert derived == {**shared, "row_order": "MIN(row_order)"}
        assert set(params["metrics"]) <= set(derived)
        assert not any(key.startswith("x-") for key in dataset)
