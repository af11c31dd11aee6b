"""The dashboards as a Dagster asset downstream of the marts they read: ``bi/superset_dashboards``.

Materialising it creates/updates the read-only warehouse role and imports ``superset/bundle`` through
Superset's REST API (overwriting, so re-running is idempotent). A rejected bundle fails the run with
Superset's own message instead of leaving stale dashboards behind a green run.
"""

import json
import re

import dagster as dg
from dagster_dbt import DbtProject

from orchestration.assets.dbt import LayeredTranslator
from orchestration.resources import WarehouseResource
from orchestration.superset.bundle import BUNDLE_DIR
from orchestration.superset.provision import provision_superset
from orchestration.superset.resources import SupersetResource

# `marts.<table>` in the dataset SQL, or `schema: marts` + `table_name:` of a physical dataset, or the
# dataset's `x-dbt-model` (a dataset reading a SQL function, e.g. marts.manager_deal_backlog(from, to),
# names the model that creates it there: the regex above finds only the function's name).
_MART_REFERENCE = re.compile(r'marts\."?(\w+)"?')
_PHYSICAL_TABLE = re.compile(r"^table_name: (\w+)$", re.MULTILINE)
_DESCRIBING_MODEL = re.compile(r"^x-dbt-model: (\w+)$", re.MULTILINE)


def mart_dependencies(project: DbtProject) -> list[dg.AssetKey]:
    """The dbt asset keys of every mart the datasets read: the datasets are the one list of them.

    Keys come from the dbt manifest through the same translator as the dbt assets, so they stay right
    however the dbt models are split into Dagster asset definitions.
    """
    referenced: set[str] = set()
    for path in (BUNDLE_DIR / "datasets").rglob("*.yaml"):
        text = path.read_text()
        referenced |= set(_MART_REFERENCE.findall(text))
        referenced |= set(_DESCRIBING_MODEL.findall(text))
        if "\nsql: null" in text:
            referenced |= set(_PHYSICAL_TABLE.findall(text))
    manifest = json.loads(project.manifest_path.read_text())
    translator = LayeredTranslator()
    return sorted(
        translator.get_asset_spec(manifest, unique_id, project).key
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] in {"model", "seed"}
        and node["schema"].endswith("marts")
        and (node.get("alias") or node["name"]) in referenced
    )


def build_superset_assets(project: DbtProject) -> list[dg.AssetsDefinition]:
    """The dashboards asset, depending on the marts of ``project``'s manifest that the bundle reads."""

    @dg.asset(
        key=["bi", "superset_dashboards"],
        deps=mart_dependencies(project),
        group_name="bi",
        kinds={"superset"},
        owners=["team:analytics-engineering"],
    )
    def superset_dashboards(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, superset: SupersetResource
    ) -> dg.MaterializeResult:
        """Read-only role + dashboards bundle imported into Superset."""
        target = superset.target()
        bundle = provision_superset(warehouse.location(), target, project.manifest_path)
        counts = {kind: len(bundle.of_kind(kind)) for kind in ("datasets", "charts", "dashboards")}
        context.log.info(f"imported into {target.url}: {counts}")
        return dg.MaterializeResult(metadata={"superset_url": dg.MetadataValue.url(target.url), **counts})

    return [superset_dashboards]
