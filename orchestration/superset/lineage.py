"""What each dashboard reads, from the one declaration: each dataset's ``x-dbt-relations``.

A dataset template in ``superset/bundle/datasets/`` lists the dbt models and seeds it reads —
a table or view by name, or a SQL function by the model whose post-hook creates it (e.g.
``marts.manager_deal_backlog(from, to)`` → ``fct_manager_daily_backlog``). A dashboard reads the datasets of
its charts and of its native filters. From this one list come the dashboards asset's upstream marts in
Dagster (orchestration/defs/superset.py) and, checked by tests/superset/test_lineage.py, the dbt
exposures (dbt_project/models/marts/_exposures.yml).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from orchestration.superset.bundle import BUNDLE_DIR

RELATIONS_KEY = "x-dbt-relations"


def _templates(bundle_dir: Path, kind: str) -> dict[str, dict[str, Any]]:
    """The templates of one kind by uuid (``datasets``, ``charts``, ``dashboards``)."""
    loaded = (yaml.safe_load(path.read_text()) for path in sorted((bundle_dir / kind).rglob("*.yaml")))
    return {content["uuid"]: content for content in loaded}


def dataset_relations(bundle_dir: Path = BUNDLE_DIR) -> dict[str, frozenset[str]]:
    """``{dataset uuid: the dbt models and seeds it reads}``; a dataset's subtotals (rendered from it by
    bundle.py under its ``x-subtotals-uuid``) read what it reads."""
    relations: dict[str, frozenset[str]] = {}
    for uuid, content in _templates(bundle_dir, "datasets").items():
        for each in (uuid, content.get("x-subtotals-uuid")):
            if each:
                relations[each] = frozenset(content[RELATIONS_KEY])
    return relations


def dashboard_relations(bundle_dir: Path = BUNDLE_DIR) -> dict[str, frozenset[str]]:
    """``{dashboard slug: the dbt models and seeds its charts' and filters' datasets read}``."""
    datasets = dataset_relations(bundle_dir)
    charts = _templates(bundle_dir, "charts")
    filters = yaml.safe_load((bundle_dir / "filters.yaml").read_text())["filters"]
    filter_datasets = {spec["dataset"] for spec in filters if "dataset" in spec}
    read: dict[str, frozenset[str]] = {}
    for dashboard in _templates(bundle_dir, "dashboards").values():
        used = {charts[cell["chart"]]["dataset_uuid"] for row in dashboard["x-layout"] for cell in row}
        if dashboard["x-filters"]:
            used |= filter_datasets
        read[dashboard["slug"]] = frozenset().union(*(datasets[uuid] for uuid in used))
    return read


def bundle_relations(bundle_dir: Path = BUNDLE_DIR) -> frozenset[str]:
    """Every dbt model and seed a dataset of the bundle reads (what the import needs built)."""
    return frozenset().union(*dataset_relations(bundle_dir).values())
