"""``b24ops``: the command line of the product (demo, UI services, warehouse)."""

from __future__ import annotations

import dataclasses
import functools
import os
import shutil
import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import dagster as dg
import typer
from rich.console import Console
from rich.table import Table

from orchestration.bitrix24 import Bitrix24Error
from orchestration.cli.check import run_checks
from orchestration.cli.demo_portal import loaded_portal, portal_name, remember_portal
from orchestration.cli.emulator import launch_emulator, start_emulator, stop_emulator
from orchestration.cli.managers_report import print_managers_per_department
from orchestration.cli.processes import recorded_services, running_pid, start_background, stop_background
from orchestration.cli.report_table import extract_summary_table, report_table
from orchestration.cli.reports import Slice, as_csv, as_json, portal_today, run_report
from orchestration.cli.run_logs import beside_capture, log_file, output_to
from orchestration.instance import prepare_dagster_home
from orchestration.resources import WEBHOOK_ENV
from orchestration.sync import ExtractSummary, SyncFailedError, sync
from orchestration.warehouse.bootstrap import WarehouseUnavailableError, ensure_warehouse
from orchestration.warehouse.embedded import PROJECT_ROOT, stop_embedded
from orchestration.warehouse.location import WarehouseConfigError, WarehouseLocation

app = typer.Typer(help="Bitrix24 sales-operations analytics: export, model, report.", no_args_is_help=True)
warehouse_app = typer.Typer(help="The PostgreSQL warehouse (embedded unless WAREHOUSE_URL is set).")
app.add_typer(warehouse_app, name="warehouse")

# Without a terminal rich assumes 80 columns, which cuts asset names in the tables and wraps the bars.
LOG_WIDTH = 120


def _console(*, stderr: bool = False) -> Console:
    """A rich console; in a log (CI, cron, a pipe) LOG_WIDTH wide unless COLUMNS says otherwise."""
    console = Console(stderr=stderr)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(stderr=stderr, width=LOG_WIDTH)
    return console


console = _console()
err_console = _console(stderr=True)

UI_HOST = "127.0.0.1"
UI_PORT = int(os.environ.get("B24OPS_UI_PORT", "3000"))
KNOWN_ERRORS = (WarehouseUnavailableError, WarehouseConfigError, Bitrix24Error, SyncFailedError)
REPORT_DAYS = 30  # the reports' default period: the last 30 days up to today
F = TypeVar("F", bound=Callable[..., Any])


def one_line_errors(command: F) -> F:
    """Print known failures as one clear line (their messages never hold secrets) and exit 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except KNOWN_ERRORS as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _sync_with_progress(
    location: WarehouseLocation,
    first_day: date,
    last_day: date,
    command: str,
    portal_ready: Callable[[], None] = lambda: None,
) -> list[ExtractSummary]:
    """Materialise the days through Dagster with the live progress bars (the demo's and sync's path).

    The terminal shows the bars; dbt's and Dagster's own output goes to ``.data/logs/<command>.log``,
    named at the end (and in the error if a step fails). ``portal_ready`` is called once the Dagster code
    is imported, before the definitions read the portal's settings (the demo's emulator starts meanwhile).
    """
    prepare_dagster_home(location)
    screen = beside_capture(console)  # the terminal, while descriptors 1 and 2 write to the log
    log = log_file(command)
    try:
        with output_to(log):
            # Imported here: they build the asset definitions (reading B24_WEBHOOK_URL and WAREHOUSE_URL),
            # which quick commands (warehouse url, check, ...) must not pay for; their warnings go to the log.
            from orchestration.cli.sync_estimate import PortalEstimator, pacing_rate
            from orchestration.cli.sync_progress import RichSyncProgress
            from orchestration.definitions import build_definitions

            portal_ready()
            defs = build_definitions()
            portal = defs.resources["bitrix24"]
            observer = RichSyncProgress(screen, PortalEstimator(portal), pacing_rate(portal))
            with dg.DagsterInstance.get() as instance:
                # A short-lived Dagster process opens a new PostgreSQL connection for every event it stores
                # (two for an asset event); a sync stores a few per asset partition, thousands for a
                # backfill. Keep a small pool for the run instead, as the long-running webserver does.
                instance.optimize_for_webserver(statement_timeout=0, pool_recycle=3600, max_overflow=4)
                summaries = sync(defs, instance, first_day, last_day, observer=observer)
    except SyncFailedError as exc:
        raise SyncFailedError(f"{exc} (dbt and Dagster logs: {_shown(log)})") from None
    return summaries


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it is below it (as a reader would type it)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@app.command()
@one_line_errors
def demo(
    seed: int = typer.Option(42, help="Emulator seed: the same seed gives the same portal."),
    managers: int = typer.Option(70, help="Managers in the emulated sales department."),
    days: int = typer.Option(90, help="Days of history in the emulated portal."),
    full: bool = typer.Option(
        False, "--full", help="Sync the portal's whole history even if this demo portal is already loaded."
    ),
) -> None:
    """Start the warehouse and the local Bitrix24 emulator, materialise every asset, print what was built.

    The emulated portal ends today (in the portal's time zone) and its history starts ``days`` days
    earlier; the sync covers exactly those days (only today when the same portal is already loaded) and
    the reports the last 30 days up to today.
    """
    location = ensure_warehouse()
    today = portal_today()
    first_day = today - timedelta(days=days)
    portal = portal_name(seed=seed, managers=managers, days=days, end_date=today)
    previous = loaded_portal(location)
    incremental = previous == portal and not full
    sync_from = today if incremental else first_day
    console.print(f"warehouse: {location.redacted()}")
    console.print(f"starting the Bitrix24 emulator: {managers} managers, {days} days to {today}, seed {seed}")
    webhook_url = launch_emulator(seed=seed, managers=managers, days=days, end_date=today)

    def emulator_ready() -> None:
        os.environ[WEBHOOK_ENV] = webhook_url()
        # The demo's emulator runs with its limits off (--fast): pacing the client to 2 req/s would only wait.
        os.environ["B24_PLAN"] = "unlimited"

    if incremental:
        console.print(
            f"this portal's history up to {today} is already loaded: syncing today (--full: all of it)"
        )
    elif previous and previous != portal:
        console.print(
            f"the warehouse also holds an earlier demo portal ({previous}); records it had and this one "
            "lacks stay (for a clean start: make down && rm -rf .data)"
        )
    try:
        console.print(f"materialising every asset through Dagster, {sync_from} – {today} …")
        summaries = _sync_with_progress(location, sync_from, today, "demo", emulator_ready)
    finally:
        stop_emulator()
    remember_portal(location, portal)
    console.print(extract_summary_table(summaries))
    print_managers_per_department(location, console)
    first = today - timedelta(days=REPORT_DAYS - 1)
    for kind in ("deals", "calls"):
        result = run_report(location, kind, first, today, Slice())
        console.print(report_table(result, f"report {kind}: {first} – {today} (b24ops report {kind})"))
    console.print(f"dbt and Dagster logs: {_shown(log_file('demo'))}", highlight=False)
    console.print(f"next: [bold]make up[/] opens the Dagster UI at http://{UI_HOST}:{UI_PORT}")


@app.command()
@one_line_errors
def up() -> None:
    """Start the Dagster UI and daemon on 127.0.0.1 (and the emulator when no B24_WEBHOOK_URL is set)."""
    location = ensure_warehouse()
    prepare_dagster_home(location)
    if not os.environ.get(WEBHOOK_ENV):
        os.environ[WEBHOOK_ENV] = start_emulator(seed=42, managers=70, days=90, end_date=portal_today())
        os.environ["B24_PLAN"] = "unlimited"  # the emulator runs with its limits off
        console.print("no B24_WEBHOOK_URL set: serving the local Bitrix24 emulator")
    # `make up` is the long-running deployment: its schedules start RUNNING (they are STOPPED elsewhere).
    # Imported here: the schedules module loads the dbt manifest, which other commands do not need.
    from orchestration.schedules import SCHEDULES_ENV

    os.environ[SCHEDULES_ENV] = "on"
    bin_dir = Path(sys.executable).parent
    workspace = str(PROJECT_ROOT / "workspace.yaml")
    if running_pid("dagster-webserver") is None:
        start_background(
            "dagster-webserver",
            [str(bin_dir / "dagster-webserver"), "-h", UI_HOST, "-p", str(UI_PORT), "-w", workspace],
        )
    if running_pid("dagster-daemon") is None:
        start_background("dagster-daemon", [str(bin_dir / "dagster-daemon"), "run", "-w", workspace])
    console.print(f"Dagster UI: http://{UI_HOST}:{UI_PORT}  (logs in .data/logs, stop with: make down)")
    # Imported here: only `up` needs Superset (its own virtual environment, installed on first use).
    from orchestration.superset.server import start_superset

    console.print("starting Superset (the first time installs its environment: a few minutes) …")
    console.print(
        f"Superset: {start_superset(progress=console.print)}  — dashboards are provisioned by the "
        "asset bi/superset_dashboards (materialise it in the Dagster UI after the marts)"
    )


@app.command()
def check() -> None:
    """Validate the configuration: warehouse reachable, portal reachable, webhook scopes sufficient."""
    results = run_checks()
    table = Table(title="b24ops check")
    for column in ("check", "status", "detail", "what to do"):
        table.add_column(column, overflow="fold")
    for result in results:
        table.add_row(result.name, "[green]ok[/]" if result.ok else "[red]FAIL[/]", result.detail, result.fix)
    console.print(table)
    if not all(result.ok for result in results):
        raise typer.Exit(1)


@app.command("sync")
@one_line_errors
def sync_command(
    from_day: datetime = typer.Option(
        ..., "--from", formats=["%Y-%m-%d"], help="First day (portal time zone)."
    ),
    to_day: datetime = typer.Option(..., "--to", formats=["%Y-%m-%d"], help="Last day, inclusive."),
) -> None:
    """Materialise ingestion and marts for a range of days through Dagster (as a UI backfill does).

    A progress bar per step: partitions, rows and requests so far, and the ETA at the pacing rate.
    """
    location = ensure_warehouse()
    if not os.environ.get(WEBHOOK_ENV):
        raise SyncFailedError(f"{WEBHOOK_ENV} is not set: export the portal's webhook URL (see b24ops check)")
    summaries = _sync_with_progress(location, from_day.date(), to_day.date(), "sync")
    console.print(extract_summary_table(summaries))
    console.print(f"dbt and Dagster logs: {_shown(log_file('sync'))}", highlight=False)
    console.print("[green]sync finished[/] — runs are in the Dagster UI (make up)")


class ReportKind(StrEnum):
    deals = "deals"
    requests = "requests"
    calls = "calls"


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command()
@one_line_errors
def report(
    kind: ReportKind = typer.Argument(
        ...,
        help="deals = report 1 per deal, requests = report 1 per request (a lead and its deal as one),"
        " calls = report 2 (call traffic).",
    ),
    from_day: datetime | None = typer.Option(
        None, "--from", formats=["%Y-%m-%d"], help="First day; default 30 days ago."
    ),
    to_day: datetime | None = typer.Option(
        None, "--to", formats=["%Y-%m-%d"], help="Last day; default today in the portal's time zone."
    ),
    department: list[int] = typer.Option([], help="Department ID (sub-departments included); repeatable."),
    manager: list[int] = typer.Option([], help="Manager (user) ID; repeatable."),
    team: str | None = typer.Option(None, help="A team from marts.teams."),
    sort: str | None = typer.Option(None, help="Column to sort by, descending."),
    output: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table, csv or json."),
) -> None:
    """Report 1 or report 2 per manager for a period, from the marts."""
    last = to_day.date() if to_day else portal_today()
    first = from_day.date() if from_day else last - timedelta(days=REPORT_DAYS - 1)
    scope = Slice(tuple(department), tuple(manager), team)
    try:
        result = run_report(ensure_warehouse(), kind.value, first, last, scope, sort)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--sort") from None
    if output is OutputFormat.csv:
        sys.stdout.write(as_csv(result))
    elif output is OutputFormat.json:
        sys.stdout.write(as_json(result) + "\n")
    else:
        console.print(report_table(result, f"{kind.value}: {first} – {last}"))


@app.command(
    "emulator",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def emulator_command(ctx: typer.Context) -> None:
    """The local Bitrix24 emulator: `b24ops emulator serve --help` lists its options."""
    # A separate program, not imported by the product: hand over the whole command line.
    os.execv(sys.executable, [sys.executable, "-m", "bitrix24_emulator", *ctx.args])


@app.command()
def down() -> None:
    """Stop everything ``up`` and ``demo`` started (by recorded PID) and the embedded warehouse."""
    for name in recorded_services():
        stopped = stop_emulator() if name == "emulator" else stop_background(name)
        if stopped:
            console.print(f"stopped {name}")
    if stop_embedded():
        console.print("stopped the embedded warehouse")


@warehouse_app.command("start")
@one_line_errors
def warehouse_start() -> None:
    """Start (or reach) the warehouse and create its schemas."""
    console.print(ensure_warehouse().redacted())


@warehouse_app.command("stop")
def warehouse_stop() -> None:
    """Stop the embedded warehouse (a WAREHOUSE_URL server is not ours to stop)."""
    console.print("stopped" if stop_embedded() else "the embedded warehouse was not running")


@warehouse_app.command("url")
@one_line_errors
def warehouse_url() -> None:
    """Print the warehouse URL (password masked)."""
    console.print(ensure_warehouse().redacted(), highlight=False)


@warehouse_app.command("dbt", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
@one_line_errors
def warehouse_dbt(ctx: typer.Context) -> None:
    """Run dbt on the warehouse with the project's profile: b24ops warehouse dbt build --full-refresh.

    For what the Dagster assets do not offer: a full refresh after an upgrade, a single model, dbt docs.
    """
    location = ensure_warehouse()
    # The dbt beside this Python (as the Dagster assets run it), with the connection profiles.yml reads.
    dbt = str(Path(sys.executable).parent / "dbt")
    project = str(PROJECT_ROOT / "dbt_project")
    command = [dbt, *ctx.args, "--project-dir", project, "--profiles-dir", project]
    os.execve(dbt, command, {**os.environ, **location.dbt_env()})


@warehouse_app.command("psql")
@one_line_errors
def warehouse_psql() -> None:
    """Open psql on the warehouse."""
    location = ensure_warehouse()
    psql = shutil.which("psql")
    if psql is None:
        raise WarehouseUnavailableError("psql is not installed (apt-get install postgresql-client)")
    # The password in the environment only: a command line is visible to every user of the machine (ps).
    without_password = dataclasses.replace(location, password="")
    os.execvpe(psql, [psql, without_password.libpq_url()], {**os.environ, "PGPASSWORD": location.password})
