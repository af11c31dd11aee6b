"""The dashboards as a Dagster asset downstream of the marts they read: ``bi/superset_dashboards``.

Materialising it creates/updates the read-only warehouse role and imports ``superset/bundle`` through
Superset's REST API (overwriting, so re-running is idempotent). A rejected bundle fails the run with
Superset's own message instead of leaving stale dashboards behind a green run.
"""

import json

import dagster as dg
from dagster_dbt import DbtProject

from orchestration.defs.dbt import LayeredTranslator
from orchestration.defs.resources import SupersetResource, WarehouseResource
from orchestration.superset.lineage import bundle_relations
from orchestration.superset.provision import provision_superset


def mart_dependencies(project: DbtProject) -> list[dg.AssetKey]:
    """The dbt asset keys of every model and seed the datasets declare they read (``x-dbt-relations``).

    Keys come from the dbt manifest through the same translator as the dbt assets, so they stay right
    however the dbt models are split into Dagster asset definitions. A declared name that is no model or
    seed of the project fails here, at load, rather than leaving the dashboards unordered after it.
    """
    declared = bundle_relations()
    manifest = json.loads(project.manifest_path.read_text())
    translator = LayeredTranslator()
    nodes = {
        node["name"]: unique_id
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] in {"model", "seed"}
    }
    unknown = sorted(declared - nodes.keys())
    if unknown:
        raise ValueError(f"the superset/bundle datasets declare x-dbt-relations dbt lacks: {unknown}")
    return sorted(translator.get_asset_spec(manifest, nodes[name], project).key for name in declared)


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
