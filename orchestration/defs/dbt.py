"""The dbt project as Dagster assets, joined to the raw ingestion assets in one graph.

dbt sources ``bitrix24.<table>`` map to the raw assets ``raw/<table>``; models are keyed and
grouped by their layer folder (``staging``, ``intermediate``, ``marts``), so the Dagster UI shows
the flow portal → raw → staging → intermediate → marts.
"""

import functools
import hashlib
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg
import yaml
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from jinja2.nativetypes import NativeEnvironment
from packaging import version

from orchestration.defs.partitions import ChangeWindow, daily_partitions, portal_time_zone, window_of
from orchestration.defs.resources import Bitrix24Resource, WarehouseResource
from orchestration.paths import DBT_PROJECT_DIR
from orchestration.runtime.orphan_runs import is_orphaned
from orchestration.settings import DEFAULT_DBT_THREADS, DEFAULT_PORTAL_ID, dbt_threads_env
from orchestration.warehouse import publish, slices
from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation

if TYPE_CHECKING:
    from dbt.adapters.base import BaseAdapter

# The dbt installed beside this Python: `make` does not put .venv/bin on PATH, and a dbt found
# elsewhere on PATH could be another version. Through b24ops-dbt, which ends it when its parent dies.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "b24ops-dbt")

# Where the project is (reads dbt_project.yml, nothing else); prepared_project() parses it when first needed.
dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# Where the manifest is; ensure_manifest() writes it.
MANIFEST = dbt_project.manifest_path


class DbtCli(DbtCliResource):
    """dagster-dbt's resource without two costs of every ``cli()`` call that buy this project nothing.

    Before starting dbt, dagster-dbt runs ``dbt --version`` once per resource instance (a Python start
    that imports dbt: seconds of CPU; :func:`connected` makes an instance per step), and loads the
    project's profile and macros in this process to open a dbt adapter, which it uses only for
    ``fetch_row_counts()`` / ``fetch_column_metadata()`` — never called here. With DBT_EXECUTABLE the dbt
    that runs is the dbt-core this Python imports (b24ops-dbt becomes the dbt beside it), so its version
    is read from the package; another executable is still asked.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        if self.dbt_executable != DBT_EXECUTABLE:
            return super()._cli_version
        from dbt.version import __version__

        return version.parse(__version__)

    def _initialize_dbt_core_adapter(self, args: Any) -> "BaseAdapter | None":
        return None


def dbt_resource() -> DbtCli:
    return DbtCli(project_dir=dbt_project, profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=DBT_EXECUTABLE)


# Heads of sales read the marts every morning: the schedules refresh them several times a day, so a
# mart older than a day and a half means the pipeline is stuck (warn after 26 h: one missed night).
MARTS_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=36), warn_window=timedelta(hours=26)
)


class LayeredTranslator(DagsterDbtTranslator):
    """Sources become the raw assets; models are keyed ``<layer>/<model>`` and grouped by layer."""

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            return spec.replace_attributes(key=dg.AssetKey(["raw", props["name"]]), group_name="raw")
        layer = (
            "seeds"
            if props["resource_type"] == "seed"
            else props["fqn"][1]
            if len(props["fqn"]) > 2
            else "dbt"
        )
        return spec.replace_attributes(
            key=dg.AssetKey([layer, props["name"]]),
            group_name=layer,
            owners=["team:analytics-engineering"],
            kinds={"dbt", "postgres"},
            freshness_policy=MARTS_FRESHNESS if layer == "marts" else None,
        )


def _newest_source_mtime(project_dir: Path) -> float:
    sources = [
        path
        for folder in ("models", "macros", "seeds", "tests")
        for path in (project_dir / folder).rglob("*")
        if path.is_file()
    ]
    sources += [project_dir / "dbt_project.yml", project_dir / "profiles.yml"]
    return max(path.stat().st_mtime for path in sources if path.exists())


def ensure_manifest(project: DbtProject = dbt_project) -> Path:
    """Parse the dbt project when there is no manifest or a model, macro or seed is newer than it.

    A stale manifest makes dbt and Dagster disagree about which models exist; parsing costs seconds.
    """
    manifest = project.manifest_path
    if not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime(Path(project.project_dir)):
        _parse_into_target(project, manifest.name)
    return manifest


@functools.cache
def prepared_project() -> DbtProject:
    """The dbt project with a current manifest: parsed at most once per process, when definitions are built
    (importing this module parses nothing)."""
    ensure_manifest(dbt_project)
    return dbt_project


def _parse_into_target(
    project: DbtProject, artefact: str, *args: str, dbt: DbtCliResource | None = None
) -> None:
    """``dbt parse`` into a private folder, then move ``artefact`` into the project's target folder in one
    step: another process (a test, the daemon, the CLI) may be reading it right now."""
    target = Path(project.project_dir) / "target"
    target.mkdir(exist_ok=True)  # a fresh clone has none
    with tempfile.TemporaryDirectory(dir=target) as private:
        (dbt or dbt_resource()).cli(["parse", "--quiet", *args], target_path=Path(private)).wait()
        os.replace(Path(private) / artefact, target / artefact)


def _profile(profiles_dir: Path, settings: Mapping[str, str]) -> str:
    """profiles.yml with its ``env_var(...)`` settings rendered from ``settings`` (the connection,
    DBT_ENV_NAMES, and the threads)."""
    jinja = NativeEnvironment()
    jinja.filters["as_number"] = int
    env_var = lambda name, default="": settings.get(name, default)  # noqa: E731

    def render(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: render(value) for key, value in node.items()}
        if isinstance(node, str) and "{{" in node:
            return jinja.from_string(node).render(env_var=env_var)
        return node

    return yaml.safe_dump(render(yaml.safe_load((profiles_dir / "profiles.yml").read_text())))


@contextmanager
def connected(
    dbt: DbtCliResource,
    location: WarehouseLocation,
    environment: Mapping[str, str] | None = None,
    threads: int = DEFAULT_DBT_THREADS,
) -> Iterator[DbtCliResource]:
    """``dbt`` with a profile pointing at ``location`` and building ``threads`` models at once (and
    ``environment`` added to its own), for as long as the block runs.

    dbt reads its connection from profiles.yml, which reads it from the environment; dagster-dbt gives dbt
    this process's environment and takes no other. Rather than writing the connection into this process's
    environment (every later step would inherit it), profiles.yml is rendered with it into a private folder
    (0700, removed after the block) that the dbt invocations of the block use as their profiles directory.
    ``environment`` reaches dbt through b24ops-dbt, which takes leading ``NAME=VALUE`` arguments as ``env(1)``
    does (orchestration/runtime/dbt_child.py).
    """
    target = Path(dbt.project_dir) / "target"
    target.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="profile-", dir=target) as private:
        profile = Path(private) / "profiles.yml"
        profile.touch(mode=0o600)
        rendered = _profile(
            Path(dbt.profiles_dir or dbt.project_dir),
            location.dbt_env() | dbt_threads_env(threads),
        )
        profile.write_text(rendered)
        yield DbtCli(
            project_dir=dbt.project_dir,
            profiles_dir=private,
            dbt_executable=dbt.dbt_executable,
            global_config_flags=[f"{name}={value}" for name, value in (environment or {}).items()],
        )


# dbt's partial-parsing state in the project's target folder, and a hash of the vars and connection of
# the parse that wrote it (see reuse_parse).
PARTIAL_PARSE_FILE = "partial_parse.msgpack"
PARSED_FOR_FILE = "partial_parse.for"


def reuse_parse(variables: str, project: DbtProject = dbt_project, dbt: DbtCliResource | None = None) -> None:
    """Leave in the project's target folder a partial-parsing state that the next invocation of ``dbt``
    (default: :func:`dbt_resource`) with ``--vars variables`` can reuse.

    dagster-dbt copies ``target/partial_parse.msgpack`` into every invocation's folder, but dbt parses
    the whole project again (≈ 3 s on this machine) unless the state was written with the same vars and
    profile. The unpartitioned asset always passes the same vars, so one parse per configuration lets
    every scheduled run after it skip that. The windowed asset passes the same vars (its window goes in dbt's
    environment, see :func:`window_env`), so one parse serves both.
    The profile's settings are kept only as a hash: they include the warehouse password.
    """
    dbt = dbt or dbt_resource()
    profile = (Path(dbt.profiles_dir or dbt.project_dir) / "profiles.yml").read_text()
    fingerprint = hashlib.sha256(json.dumps([variables, profile]).encode()).hexdigest()
    target = Path(project.project_dir) / "target"
    state, parsed_for = target / PARTIAL_PARSE_FILE, target / PARSED_FOR_FILE
    if state.exists() and parsed_for.exists() and parsed_for.read_text() == fingerprint:
        return
    _parse_into_target(project, PARTIAL_PARSE_FILE, "--vars", variables, dbt=dbt)
    parsed_for.write_text(fingerprint)


# The per-deal and per-call models and the daily facts on them are incremental by change window: they get
# the partition window (window_env), and a backfill of many days is one dbt run (single-run policy). The SLA
# alerts (a small table over the untouched deals) are rebuilt with them, right after the deals.
# The rest is unpartitioned: the staging tables (incremental by what ingestion observed since their last
# build), and small models sized by employees × days (working calendar, org tree, dimensions, seeds).
# Which is which, each model says in its own config — `tags=['partitioned_daily']` — so moving its file to
# another folder does not change how it is built (tests/definitions/test_partitioning.py). The request
# models (leads + deals, #15) are incremental by change window like the deal models: tagged too.
PARTITIONED_TAG = "partitioned_daily"
WINDOWED_MARTS = f"tag:{PARTITIONED_TAG}"


# dbt unit tests check the SQL logic on fixed inputs: CI runs them (tests/marts), the scheduled runs would
# only repeat them on every partition (dbt's advice: unit tests in development and CI, not production).
PRODUCTION_BUILD = ["build", "--exclude-resource-type", "unit_test"]


def portal_vars(
    portal_id: str = DEFAULT_PORTAL_ID,
    sales_department_ids: tuple[int, ...] = (),
    *,
    example_teams: bool = False,
) -> dict[str, object]:
    """Which portal's raw rows the models read (the ingestion resource's ``portal_id``), its time zone (the
    partitions'), the sales departments of B24_SALES_DEPARTMENTS (empty: detected in dbt), and whether it is
    the emulated demo portal whose example teams join marts.teams."""
    return {
        "portal_id": portal_id,
        "portal_time_zone": portal_time_zone(),
        "sales_department_ids": list(sales_department_ids),
        "example_teams": example_teams,
    }


def window_vars(window: ChangeWindow) -> dict[str, str]:
    """The bounds of an incremental run over ``window`` by their names in dbt (window_bound in
    macros/bitrix24/snapshot_at.sql): as dbt vars, how a run by hand gives them."""
    return {"window_start": window.start.isoformat(), "window_end": window.end.isoformat()}


def window_env(bounds: Mapping[str, str]) -> dict[str, str]:
    """``bounds`` (:func:`window_vars`) as the environment of a dbt process, which is how the windowed asset
    gives them: dbt reads them only when it runs the SQL, so every window reuses one parse of the project,
    where changed ``--vars`` make dbt parse it all again (docs/decisions.md)."""
    return {f"B24OPS_{name.upper()}": value for name, value in bounds.items()}


def dbt_failures(run_results: Mapping[str, Any]) -> list[str]:
    """One phrase per node dbt failed or errored on, from its ``run_results.json``: the node named first."""
    phrases = []
    for result in run_results.get("results", []):
        if result.get("status") not in ("fail", "error"):
            continue
        kind, _, name = str(result.get("unique_id", "")).partition(".")
        name = name.split(".", 1)[-1] if "." in name else name  # drop the project name
        name = re.sub(r"\.[0-9a-f]{10}$", "", name)  # and the hash dbt appends to a test's name
        message = " ".join(str(result.get("message") or "").split())[:200]
        phrases.append(f"{kind} {name} {'failed' if result['status'] == 'fail' else 'errored'}: {message}")
    return phrases


def build_or_explain(
    dbt: DbtCliResource, args: list[str], context: dg.AssetExecutionContext | None
) -> Iterator[Any]:
    """``dbt <args>``'s events; when it fails, a :class:`dagster.Failure` naming the failing tests and models
    (dagster-dbt's own error names only the command line: the test is far above in the log). Returns (as the
    generator's value) the invocation's ``run_results.json``."""
    invocation = dbt.cli(
        args, context=context, raise_on_error=False, manifest=None if context else dbt_project.manifest_path
    )
    yield from invocation.stream()
    if invocation.is_successful():
        return invocation.get_artifact("run_results.json")
    try:
        failures = dbt_failures(invocation.get_artifact("run_results.json"))
    except (OSError, ValueError):  # dbt stopped before writing its results (a parse error, a lost database)
        failures = []
    raise dg.Failure(
        description="dbt "
        + args[0]
        + " failed: "
        + ("; ".join(failures) if failures else "see the dbt log (no run results were written)")
    )


def candidate_vars(variables: Mapping[str, object]) -> str:
    """``--vars`` of a production build: ``variables``, the marts built in the candidate schema."""
    return json.dumps({**variables, "marts_schema": publish.CANDIDATE})


# the step key of the windowed asset (its definition's name): a run that executes it publishes there
WINDOWED_STEP = "dbt_windowed_marts"


def later_dbt_step(context: dg.AssetExecutionContext) -> bool:
    """Whether this run executes the windowed dbt step too (after the unpartitioned one: it reads the
    dimensions), as the run's plan says: a run selecting only some assets may leave it out."""
    run = context.run
    if run.execution_plan_snapshot_id is None:
        return False
    plan = context.instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
    return WINDOWED_STEP in plan.step_keys_to_execute


def run_finished(instance: dg.DagsterInstance) -> Callable[[str], bool]:
    """Whether the run holding the candidate has ended (or was killed with its process): its claim is
    taken over at once instead of when its lease runs out. A run this instance does not know waits for
    the lease."""

    def finished(run_id: str) -> bool:
        run = instance.get_run_by_id(run_id)
        return run is not None and (run.is_finished or is_orphaned(run))

    return finished


def build_and_publish(
    dbt: DbtCliResource,
    variables: Mapping[str, object],
    location: WarehouseLocation,
    context: dg.AssetExecutionContext,
    *,
    slice_keys: Mapping[str, list[str]],
    deferred: bool = False,
) -> Iterator[Any]:
    """The production build with the marts in the candidate schema. The run's last dbt step publishes what
    every dbt step of the run built, in one transaction, when all passed (``deferred``: a later step of the
    run will); a failed step undoes the run's build in the candidate, so a failed run leaves ``marts`` as it
    was (orchestration/warehouse/publish.py)."""
    args = [*PRODUCTION_BUILD, "--vars", candidate_vars(variables)]
    owner = context.run_id
    conn = connect(location)
    try:
        claim = publish.claim(
            conn,
            owner,
            run_finished(context.instance),
            on_wait=lambda holder: context.log.info(f"waiting for run {holder} to publish its marts"),
        )
        with publish.heartbeat(location, owner):
            if claim.fresh:
                publish.prepare_candidate(conn, slice_keys)
            try:
                run_results = yield from build_or_explain(dbt, args, context)
                built = publish.record_built(conn, owner, publish.built_marts(run_results))
                if deferred:
                    context.log.info(f"{len(built)} marts built; published with the windowed marts")
                else:
                    publish.publish(conn, built, owner)
            except BaseException:
                publish.discard_candidate(conn, owner)
                raise
    finally:
        conn.close()


def build_dbt_assets(
    project: DbtProject, sales_department_ids: tuple[int, ...] = ()
) -> list[dg.AssetsDefinition]:
    """The dbt models as two asset definitions, from ``project``'s manifest (see :func:`prepared_project`);
    ``sales_department_ids`` is B24_SALES_DEPARTMENTS (the models' ``sales_department_ids`` var)."""
    # the incremental marts stay in the candidate between builds and reach `marts` by the rows they wrote
    slice_keys = slices.slice_keys(json.loads(project.manifest_path.read_text()))

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        exclude=WINDOWED_MARTS,
        dagster_dbt_translator=LayeredTranslator(),
        name="dbt_models",
    )
    def dbt_models(
        context: dg.AssetExecutionContext,
        dbt: DbtCliResource,
        warehouse: WarehouseResource,
        bitrix24: Bitrix24Resource,
    ) -> Iterator[Any]:
        """Build and test staging, intermediate, the dimensions and the seeds."""
        variables = portal_vars(
            bitrix24.portal_id, sales_department_ids, example_teams=bitrix24.example_teams
        )
        location = warehouse.location()
        with connected(dbt, location, threads=warehouse.dbt_threads) as warehouse_dbt:
            reuse_parse(candidate_vars(variables), project, warehouse_dbt)
            yield from build_and_publish(
                warehouse_dbt,
                variables,
                location,
                context,
                slice_keys=slice_keys,
                deferred=later_dbt_step(context),
            )

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        select=WINDOWED_MARTS,
        partitions_def=daily_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        dagster_dbt_translator=LayeredTranslator(),
        name=WINDOWED_STEP,
    )
    def dbt_windowed_marts(
        context: dg.AssetExecutionContext,
        dbt: DbtCliResource,
        warehouse: WarehouseResource,
        bitrix24: Bitrix24Resource,
    ) -> Iterator[Any]:
        """Recompute the deals and calls the partition window touched (with the models' look-backs)."""
        variables = portal_vars(
            bitrix24.portal_id, sales_department_ids, example_teams=bitrix24.example_teams
        )
        location = warehouse.location()
        window = window_env(window_vars(window_of(context)))
        with connected(dbt, location, window, threads=warehouse.dbt_threads) as warehouse_dbt:
            # the unpartitioned asset's vars: the parse it left (or this one) serves every window
            reuse_parse(candidate_vars(variables), project, warehouse_dbt)
            yield from build_and_publish(warehouse_dbt, variables, location, context, slice_keys=slice_keys)

    return [dbt_models, dbt_windowed_marts]
