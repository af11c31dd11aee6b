"""Render ``superset/bundle/`` (YAML with stable UUIDs) into the ZIP that Superset's import endpoint takes.

The templates hold everything that is the same in every deployment. Rendering adds what is not:

* the database's SQLAlchemy URI (``${sqlalchemy_uri}``, password masked; the password travels separately
  in the import's ``passwords`` field);
* dataset column descriptions, taken from the dbt manifest (``x-dbt-model``, or ``x-dbt-column:
  model.column`` for a renamed column), so the dbt docs are the one owner of what a column means;
* for a dataset with ``x-subtotals-uuid``, a second dataset ``<name>_with_subtotals``: the same rows once
  as the manager's own and once inside their department's total, for the per-manager tables (department
  subtotal rows above the manager rows) — derived here so the SQL and metrics have one source;
* each dashboard's ``position`` from its compact ``x-layout`` rows, and its native filters (with the date
  range's default) and the filter bar's CSS from ``filters.yaml`` (the same four filters on both dashboards);
* the labels in the configured language: the templates are English, the catalogue translates their titles,
  names and descriptions (orchestration/superset/labels.py), and the charts' day formats become the
  language's: one bundle for every language.

Keys starting with ``x-`` are this project's and are removed before Superset sees the files.
"""

from __future__ import annotations

import copy
import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

import yaml

from orchestration.i18n import N_, gettext_for
from orchestration.superset.labels import translate_labels
from orchestration.superset.settings import SUPERSET_DIR

BUNDLE_DIR = SUPERSET_DIR / "bundle"
ROOT_FOLDER = "b24ops_bundle"
DATABASE_FILE = "databases/b24ops_warehouse.yaml"
# Superset shows this in place of a password in an exported URI; the import takes the real one separately.
MASKED_PASSWORD = "XXXXXXXXXX"


@dataclass(frozen=True)
class Bundle:
    """The rendered files (path inside the bundle → parsed YAML) and the database's password."""

    files: dict[str, dict[str, Any]]
    database_password: str

    def passwords(self) -> dict[str, str]:
        return {DATABASE_FILE: self.database_password}

    def to_zip(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path, content in sorted(self.files.items()):
                # a fixed timestamp: the same bundle gives the same bytes (comparable, cacheable)
                entry = zipfile.ZipInfo(f"{ROOT_FOLDER}/{path}", date_time=(2026, 1, 1, 0, 0, 0))
                entry.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(entry, yaml.safe_dump(content, sort_keys=False))
        return buffer.getvalue()

    def of_kind(self, kind: str) -> dict[str, dict[str, Any]]:
        """The files of one kind: ``databases``, ``datasets``, ``charts`` or ``dashboards``."""
        return {path: content for path, content in self.files.items() if path.startswith(f"{kind}/")}


def column_descriptions(manifest_path: Path) -> dict[str, dict[str, str]]:
    """``{model name: {column: description}}`` for every dbt model and seed in the manifest."""
    manifest = json.loads(manifest_path.read_text())
    return {
        node["name"]: {
            name: column["description"] for name, column in node["columns"].items() if column["description"]
        }
        for node in manifest["nodes"].values()
        if node["resource_type"] in {"model", "seed"}
    }


def _describe_columns(dataset: dict[str, Any], descriptions: Mapping[str, Mapping[str, str]]) -> None:
    dataset.pop("x-dbt-relations")  # lineage (orchestration/superset/lineage.py), nothing for Superset
    model = dataset.pop("x-dbt-model")
    for column in dataset["columns"]:
        source_model, _, source_column = column.pop(
            "x-dbt-column", f"{model}.{column['column_name']}"
        ).partition(".")
        described = descriptions.get(source_model, {}).get(source_column)
        if described:
            column["description"] = described


# The department-subtotal wrapper around a dataset's SQL: its Jinja `set` lines stay in front (they must
# run before the query), the query becomes the subquery `facts`.
SUBTOTAL_LABEL = N_("Department total")
SUBTOTALS_DESCRIPTION = N_(
    "The rows of its source dataset, each also inside its department's total row: the per-manager tables "
    "with department subtotals. Not for other charts (every fact is in it twice)."
)
_SUBTOTALS_SQL = """\
{preamble}
{{#- The same rows twice: once as the manager's own row, once inside their department's total, so a table
    grouped by (department, row_label) shows each department's subtotal (sum / sum over its employees,
    never a sum of averages) right above its managers, in the order of the metric row_order. Filters
    (date range, managers) narrow both alike: a total is the total of what is shown. -#}}
select
    levels.row_label,
    levels.row_level,
    dense_rank() over (order by facts.department) * 1000000
        + case levels.row_level when 0 then 0 else dense_rank() over (order by facts.manager_name) end
        as row_order,
    facts.*
from (
{query}
) as facts
cross join lateral (values (0, _('{label}')), (1, facts.manager_name)) as levels (row_level, row_label)
"""
_SUBTOTAL_COLUMNS = [
    (
        "row_label",
        "Manager",
        "TEXT",
        f"The manager, or '{SUBTOTAL_LABEL}' on their department's subtotal row.",
    ),
    ("row_level", None, "INTEGER", "0 = the department's subtotal row, 1 = a manager's row."),
    ("row_order", None, "BIGINT", "Departments by path, each subtotal above its managers, managers by name."),
]


def _with_subtotals(path: str, dataset: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The dataset ``<name>_with_subtotals`` derived from ``dataset`` (see the module's docstring)."""
    dataset = copy.deepcopy(dataset)  # its columns are described (and their x- keys removed) separately
    lines = dataset["sql"].rstrip("\n").split("\n")
    start = next(number for number, line in enumerate(lines) if line.startswith("select"))
    derived = {
        **dataset,
        "table_name": f"{dataset['table_name']}_with_subtotals",
        "description": SUBTOTALS_DESCRIPTION,
        "sql": _SUBTOTALS_SQL.format(
            preamble="\n".join(lines[:start]),
            query="\n".join(f"    {line}" if line else line for line in lines[start:]),
            label=SUBTOTAL_LABEL,
        ),
        "uuid": dataset["x-subtotals-uuid"],
        "metrics": [
            *dataset["metrics"],
            {
                "metric_name": "row_order",
                "verbose_name": N_("Row order"),
                "metric_type": None,
                "expression": "MIN(row_order)",
                "description": N_("Sorts each department's subtotal above its managers."),
                "d3format": None,
                "extra": {},
                "warning_text": None,
            },
        ],
        "columns": [
            *(
                {
                    "column_name": name,
                    "verbose_name": verbose,
                    "is_dttm": False,
                    "is_active": True,
                    "type": kind,
                    "groupby": True,
                    "filterable": True,
                    "expression": None,
                    "description": description,
                    "python_date_format": None,
                }
                for name, verbose, kind, description in _SUBTOTAL_COLUMNS
            ),
            *dataset["columns"],
        ],
    }
    del derived["x-subtotals-uuid"]
    folder, _, file_name = path.rpartition("/")
    return f"{folder}/{file_name.removesuffix('.yaml')}_with_subtotals.yaml", derived


def _position(rows: list[list[dict[str, Any]]], charts: Mapping[str, str]) -> dict[str, Any]:
    """Superset's layout tree (root → grid → rows → charts) for rows of ``{chart, width, height}``."""
    position: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
    }
    for row_number, row in enumerate(rows, start=1):
        row_id = f"ROW-{row_number}"
        position["GRID_ID"]["children"].append(row_id)
        position[row_id] = {
            "type": "ROW",
            "id": row_id,
            "children": [],
            "parents": ["ROOT_ID", "GRID_ID"],
            "meta": {"background": "BACKGROUND_TRANSPARENT"},
        }
        for cell in row:
            chart_number = sum(
                1 for node in position.values() if isinstance(node, dict) and node["type"] == "CHART"
            )
            chart_id = f"CHART-{cell['chart'][:8]}"
            position[row_id]["children"].append(chart_id)
            position[chart_id] = {
                "type": "CHART",
                "id": chart_id,
                "children": [],
                "parents": ["ROOT_ID", "GRID_ID", row_id],
                "meta": {
                    # a placeholder id: the import maps the uuid to the chart's id in this Superset
                    "chartId": chart_number + 1,
                    "uuid": cell["chart"],
                    "width": cell["width"],
                    "height": cell["height"],
                    "sliceName": charts[cell["chart"]],
                },
            }
    return position


def _default(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A filter's value when the dashboard opens: the time range's relative range, or a select filter's
    ``default_option`` (the Staff filter's "Sales departments"); the others open empty."""
    if "default" in spec:
        return {
            "extraFormData": {"time_range": spec["default"]},
            "filterState": {"value": spec["default"]},
            "ownState": {},
        }
    if "default_option" in spec:
        option = spec["default_option"]
        return {
            "extraFormData": {"filters": [{"col": spec["column"], "op": "IN", "val": [option]}]},
            "filterState": {"value": [option], "label": option},
            "ownState": {},
        }
    return {"extraFormData": {}, "filterState": {}, "ownState": {}}


def _native_filters(slug: str, filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Superset's native filter configuration from the compact ``filters.yaml`` entries."""
    configured = []
    for spec in filters:
        is_time = spec["type"] == "time" if "type" in spec else False
        configured.append(
            {
                "id": f"NATIVE_FILTER-{slug}-{spec['key']}",
                "name": spec["name"],
                "filterType": "filter_time" if is_time else "filter_select",
                "type": "NATIVE_FILTER",
                "description": spec.get("description", ""),
                "targets": [{}]
                if is_time
                else [{"datasetUuid": spec["dataset"], "column": {"name": spec["column"]}}],
                "controlValues": {}
                if is_time
                else {
                    "multiSelect": spec.get("multi", True),
                    "enableEmptyFilter": False,
                    "defaultToFirstItem": False,
                    "inverseSelection": False,
                    "searchAllOptions": False,
                },
                "defaultDataMask": _default(spec),
                "cascadeParentIds": [],
                "scope": {"rootPath": ["ROOT_ID"], "excluded": []},
            }
        )
    return configured


def render_bundle(
    sqlalchemy_uri: str,
    database_password: str,
    manifest_path: Path,
    bundle_dir: Path = BUNDLE_DIR,
    language: str = "en",
) -> Bundle:
    """Read the templates in ``language``, fill in the deployment's connection and the dbt descriptions."""
    gettext = gettext_for(language)
    descriptions = column_descriptions(manifest_path)
    shared = yaml.safe_load((bundle_dir / "filters.yaml").read_text())
    filters = translate_labels(shared["filters"], gettext, language)
    files: dict[str, dict[str, Any]] = {}
    for path in sorted(bundle_dir.rglob("*.yaml")):
        relative = path.relative_to(bundle_dir).as_posix()
        if relative == "filters.yaml":
            continue
        text = path.read_text()
        if relative == DATABASE_FILE:
            text = Template(text).substitute(sqlalchemy_uri=sqlalchemy_uri)
        files[relative] = translate_labels(yaml.safe_load(text), gettext, language)
    chart_names = {
        content["uuid"]: content["slice_name"]
        for path, content in files.items()
        if path.startswith("charts/")
    }
    for relative, content in list(files.items()):
        if relative.startswith("datasets/") and "x-subtotals-uuid" in content:
            derived_path, derived = _with_subtotals(relative, content)
            # its own labels in the language too (the ones copied from the dataset already are)
            files[derived_path] = translate_labels(derived, gettext, language)
            del content["x-subtotals-uuid"]
    for relative, content in files.items():
        if relative.startswith("datasets/"):
            _describe_columns(content, descriptions)
        elif relative.startswith("dashboards/"):
            content["position"] = _position(content.pop("x-layout"), chart_names)
            with_filters = content.pop("x-filters")
            content["metadata"]["native_filter_configuration"] = (
                _native_filters(content["slug"], filters) if with_filters else []
            )
            if with_filters:
                content["css"] = shared["css"]
    return Bundle(files=files, database_password=database_password)
