"""``b24ops``: the command line of the product (demo, UI services, warehouse)."""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import shutil
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from orchestration.cli.demo_portal import loaded_portal, portal_name, remember_portal
from orchestration.cli.emulator import launch_emulator, start_emulator, stop_emulator
from orchestration.cli.help_format import HumanCommand, HumanGroup
from orchestration.cli.language import configured_language
from orchestration.cli.managers_report import print_managers_per_department
from orchestration.cli.periods import DEFAULT_DAYS, PeriodError, report_period
from orchestration.cli.report_table import REPORT, extract_summary_table, report_table, report_title
from orchestration.cli.run_logs import beside_capture, log_file, output_to
from orchestration.i18n import gettext_for
from orchestration.paths import DBT_PROJECT_DIR, PROJECT_ROOT
from orchestration.reports import SORT_COLUMNS, Slice, as_csv, as_json, run_report
from orchestration.runtime.embedded_postgres import stop_embedded
from orchestration.runtime.processes import recorded_services, running_pid, start_background, stop_background
from orchestration.warehouse.bootstrap import (
    WarehouseUnavailableError,
    connect,
    dagster_storage_url,
    ensure_warehouse,
)
from orchestration.warehouse.location import WarehouseLocation, resolve_warehouse

if TYPE_CHECKING:
    from orchestration.runtime.sync import ExtractSummary
    from orchestration.settings import Settings

# Dagster, dbt, the asset definitions and the settings (pydantic) are imported inside the commands that use
# them: importing them costs seconds (the settings: half of what is left) that `--help` and the quick
# commands must not pay (docs/benchmarks.md; tests/cli/test_import_cost.py).

app = typer.Typer(
    cls=HumanGroup, help="Bitrix24 sales-operations analytics: export, model, report.", no_args_is_help=True
)
warehouse_app = typer.Typer(
    cls=HumanGroup, help="The PostgreSQL warehouse (embedded unless WAREHOUSE_URL is set)."
)
app.add_typer(warehouse_app, name="warehouse")
alerts_app = typer.Typer(
    cls=HumanGroup, help="SLA alerts and morning digests sent into Bitrix24 (docs/operations.md, Alerts)."
)
app.add_typer(alerts_app, name="alerts")

# Without a terminal rich assumes 80 columns, which cuts asset names in the tables and wraps the bars.
LOG_WIDTH = 120


def _console(*, stderr: bool = False) -> Console:
    """A rich console; in a log (CI, cron, a pipe) LOG_WIDTH wide unless COLUMNS says otherwise."""
    console = Console(stderr=stderr)
    if not console.is_terminal:
        # COLUMNS if set (the shell's convention, as rich reads it), else LOG_WIDTH: no terminal to ask
        console = Console(stderr=stderr, width=shutil.get_terminal_size((LOG_WIDTH, 24)).columns)
    return console


console = _console()
err_console = _console(stderr=True)

UI_HOST = "127.0.0.1"
# The failures printed as one line, by the module that defines them. A module not loaded raised none, so
# telling them apart imports nothing (the Bitrix24 client brings requests, orchestration.runtime.sync
# Dagster).
ONE_LINE_ERRORS = {
    "orchestration.warehouse.bootstrap": "WarehouseUnavailableError",
    "orchestration.warehouse.location": "WarehouseConfigError",
    "orchestration.bitrix24.errors": "Bitrix24Error",
    "orchestration.runtime.sync": "SyncFailedError",
}
DAY_FORMAT = "%Y-%m-%d"
F = TypeVar("F", bound=Callable[..., Any])


@functools.cache
def settings() -> Settings:
    """The settings, read from the environment once per command; the commands hand them down."""
    from orchestration.settings import load_settings

    return load_settings()


def _known(exc: Exception) -> bool:
    return any(
        module in sys.modules and isinstance(exc, getattr(sys.modules[module], name))
        for module, name in ONE_LINE_ERRORS.items()
    )


def one_line_errors(command: F) -> F:
    """Print known failures as one clear line (their messages never hold secrets) and exit 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except Exception as exc:
            if not _known(exc):
                raise
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _warehouse() -> WarehouseLocation:
    """The configured warehouse, started (embedded) and prepared."""
    return ensure_warehouse(resolve_warehouse(settings().reveal("warehouse_url")))


def _storage_url(location: WarehouseLocation) -> str:
    return dagster_storage_url(location, settings().reveal("dagster_storage_url"))


def clock() -> datetime:
    """Now: the one clock of the CLI's date defaults (a test replaces it to stand at a chosen instant)."""
    return datetime.now(UTC)


def _today() -> date:
    """Today in the portal's time zone: the default last day of every period the CLI picks."""
    from orchestration.settings import portal_today

    return portal_today(settings().portal_time_zone, clock())


def _sync_with_progress(
    location: WarehouseLocation,
    first_day: date,
    last_day: date,
    command: str,
    portal_ready: Callable[[], Settings] = settings,
) -> list[ExtractSummary]:
    """Materialise the days through Dagster with the live progress bars (the demo's and sync's path).

    The terminal shows the bars; dbt's and Dagster's own output goes to ``.data/logs/<command>.log``,
    named at the end (and in the error if a step fails). ``portal_ready`` is called once the Dagster code
    is imported and gives the settings to build the definitions from (the demo's emulator starts meanwhile).
    """
    from orchestration.runtime.sync import SyncFailedError

    screen = beside_capture(console)  # the terminal, while descriptors 1 and 2 write to the log
    log = log_file(command)
    try:
        with output_to(log):
            # Imported here: they build the asset definitions, which quick commands (warehouse url, check,
            # ...) must not pay for; their warnings go to the log.
            from orchestration.cli.sync_estimate import PortalEstimator, pacing_rate
            from orchestration.cli.sync_progress import RichSyncProgress
            from orchestration.defs.definitions import build_definitions
            from orchestration.runtime.instance import open_instance
            from orchestration.runtime.sync import sync

            defs = build_definitions(portal_ready())
            portal = defs.resources["bitrix24"]
            observer = RichSyncProgress(screen, PortalEstimator(portal), pacing_rate(portal))
            with open_instance(_storage_url(location)) as instance:
                # A short-lived Dagster process opens a new PostgreSQL connection for every event it stores
                # (two for an asset event); a sync stores a few per asset partition, thousands for a
                # backfill. Keep a small pool for the run instead, as the long-running webserver does.
                instance.optimize_for_webserver(statement_timeout=0, pool_recycle=3600, max_overflow=4)
                summaries = sync(
                    defs,
                    instance,
                    first_day,
                    last_day,
                    progress=lambda line: screen.print(line, highlight=False),  # the checks' warnings
                    observer=observer,
                )
    except Exception as exc:
        from orchestration.warehouse.bootstrap import lost_warehouse

        # one line for a warehouse that went away mid-run, whatever layer noticed first (dbt, a loader,
        # Dagster's run storage): what happened and what to do, no traceback (docs/troubleshooting.md)
        lost = lost_warehouse(location, exc, f"the {command}")
        if lost is not None:
            raise type(lost)(f"{lost} (dbt and Dagster logs: {_shown(log)})") from None
        if isinstance(exc, SyncFailedError):
            raise SyncFailedError(f"{exc} (dbt and Dagster logs: {_shown(log)})") from None
        raise
    return summaries


# The local emulator never cuts a request off (--fast): an answer that is late means this machine is busy
# (the demo failed after 38 minutes on a loaded machine with the client's 30 s), and asking again only
# queues a second copy of the same work behind the first. So the client waits up to ten minutes.
LOCAL_EMULATOR_TIMEOUT_S = 600.0


def _emulator_settings(url: str) -> dict[str, object]:
    from pydantic import SecretStr

    # The emulator runs with its limits off (--fast): pacing the client to 2 req/s would only wait. Its
    # portal is the demo's: example teams give the team filters something to show.
    return {
        "webhook_url": SecretStr(url),
        "plan": "unlimited",
        "request_timeout_s": LOCAL_EMULATOR_TIMEOUT_S,
        "example_teams": True,
    }


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it is below it (as a reader would type it)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@app.command(cls=HumanCommand)
@one_line_errors
def demo(
    seed: int = typer.Option(42, metavar="N", help="Emulator seed: the same seed gives the same portal."),
    managers: int = typer.Option(70, metavar="N", help="Managers in the emulated sales department."),
    days: int = typer.Option(90, metavar="N", help="Days of history in the emulated portal."),
    full: bool = typer.Option(
        False, "--full", help="Sync the portal's whole history even if this demo portal is already loaded."
    ),
) -> None:
    """Start the warehouse and the local Bitrix24 emulator, materialise every asset, print what was built.

    The emulated portal ends today (in the portal's time zone) and its history starts --days days
    earlier; the sync covers exactly those days (only today when the same portal is already loaded) and
    the reports the last 30 days up to today.
    """
    location = _warehouse()
    today = _today()
    first_day = today - timedelta(days=days)
    portal = portal_name(seed=seed, managers=managers, days=days, end_date=today)
    previous = loaded_portal(location)
    incremental = previous == portal and not full
    sync_from = today if incremental else first_day
    console.print(f"warehouse: {location.redacted()}")
    console.print(f"starting the Bitrix24 emulator: {managers} managers, {days} days to {today}, seed {seed}")
    webhook_url = launch_emulator(seed=seed, managers=managers, days=days, end_date=today)

    def emulator_ready() -> Settings:
        return settings().model_copy(update=_emulator_settings(webhook_url()))

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
    language = _language(settings())  # B24OPS_LANGUAGE (the emulator is reached by webhook: not asked)
    print_managers_per_department(location, console, language)
    first, _ = report_period(today)
    for kind in ("deals", "calls"):
        result = run_report(location, kind, first, today, Slice())
        named = f"{gettext_for(language)(REPORT)} {report_title(kind, first, today, language)}"
        title = f"{named} (b24ops report {kind})"
        console.print(report_table(result, title, language))
    console.print(f"dbt and Dagster logs: {_shown(log_file('demo'))}", highlight=False)
    console.print(f"next: [bold]make up[/] opens the Dagster UI at http://{UI_HOST}:{settings().ui_port}")


@app.command(cls=HumanCommand)
@one_line_errors
def up() -> None:
    """Start the Dagster UI and daemon on 127.0.0.1 (and the emulator when no B24_WEBHOOK_URL is set)."""
    config = settings()
    location = _warehouse()
    # Imported here: it imports Dagster, which other commands do not need.
    from orchestration.runtime.instance import dagster_environment

    # The portal's language when B24OPS_LANGUAGE is unset (one app.info for an OAuth app): the Dagster
    # processes provision the dashboards in it, Superset's interface starts in it.
    config = config.model_copy(update={"language": configured_language(config, ask_portal=True)})
    # The Dagster processes load the code location themselves and read their settings from their own
    # environment: they get what `up` decides as an explicit environment of their own (this process's
    # stays as it was). `make up` is the long-running deployment: its schedules start RUNNING.
    dagster_env = {
        **dagster_environment(_storage_url(location)),
        **config.environment(schedules_on=True, language=config.language),
    }
    if not config.webhook_url:
        url = start_emulator(seed=42, managers=70, days=90, end_date=_today())
        dagster_env |= config.environment(**_emulator_settings(url))
        console.print("no B24_WEBHOOK_URL set: serving the local Bitrix24 emulator")
    bin_dir = Path(sys.executable).parent
    workspace = str(PROJECT_ROOT / "workspace.yaml")
    port = str(config.ui_port)
    if running_pid("dagster-webserver") is None:
        start_background(
            "dagster-webserver",
            [str(bin_dir / "dagster-webserver"), "-h", UI_HOST, "-p", port, "-w", workspace],
            env=dagster_env,
        )
    if running_pid("dagster-daemon") is None:
        start_background(
            "dagster-daemon", [str(bin_dir / "dagster-daemon"), "run", "-w", workspace], env=dagster_env
        )
    console.print(f"Dagster UI: http://{UI_HOST}:{port}  (logs in .data/logs, stop with: make down)")
    # Imported here: only `up` needs Superset (its own virtual environment, installed on first use).
    from orchestration.runtime.superset_server import start_superset
    from orchestration.superset.settings import LocalSuperset

    console.print("starting Superset (the first time installs its environment: a few minutes) …")
    superset_url = start_superset(LocalSuperset(settings=config), progress=console.print)
    console.print(
        f"Superset: {superset_url}  — dashboards are provisioned by the "
        "asset bi/superset_dashboards (materialise it in the Dagster UI after the marts)"
    )


@app.command(cls=HumanCommand)
def check() -> None:
    """Validate the configuration: warehouse reachable, portal reachable, webhook scopes sufficient."""
    from orchestration.cli.check import run_checks  # the Bitrix24 client: only `check` needs it here

    results = run_checks(settings())
    table = Table(title="b24ops check")
    for column in ("check", "status", "detail", "what to do"):
        table.add_column(column, overflow="fold")
    for result in results:
        table.add_row(result.name, "[green]ok[/]" if result.ok else "[red]FAIL[/]", result.detail, result.fix)
    console.print(table)
    if not all(result.ok for result in results):
        raise typer.Exit(1)


@app.command("sync", cls=HumanCommand)
@one_line_errors
def sync_command(
    from_day: datetime = typer.Option(
        ..., "--from", formats=[DAY_FORMAT], metavar="YYYY-MM-DD", help="First day (portal time zone)."
    ),
    to_day: datetime = typer.Option(
        ..., "--to", formats=[DAY_FORMAT], metavar="YYYY-MM-DD", help="Last day, included."
    ),
) -> None:
    """Materialise ingestion and marts for a range of days through Dagster (as a UI backfill does).

    A progress bar per step: partitions, rows and requests so far, and the ETA at the pacing rate.
    """
    from orchestration.runtime.sync import SyncFailedError

    location = _warehouse()
    if not settings().webhook_url:
        variable = settings().variable("webhook_url")
        raise SyncFailedError(f"{variable} is not set: export the portal's webhook URL (see b24ops check)")
    summaries = _sync_with_progress(location, from_day.date(), to_day.date(), "sync")
    console.print(extract_summary_table(summaries))
    console.print(f"dbt and Dagster logs: {_shown(log_file('sync'))}", highlight=False)
    console.print("[green]sync finished[/] — runs are in the Dagster UI (make up)")


class ReportKind(StrEnum):
    deals = "deals"
    requests = "requests"
    leads = "leads"
    calls = "calls"


class Language(StrEnum):
    ru = "ru"
    en = "en"


def _language(config: Settings, chosen: Language | None = None) -> str:
    """The language labels are shown in: ``--lang``, else B24OPS_LANGUAGE, else English (a report does not
    call the portal to ask for its language: ``make up`` does, once)."""
    return chosen.value if chosen else configured_language(config)


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command(cls=HumanCommand)
@one_line_errors
def report(
    kind: ReportKind = typer.Argument(
        ...,
        metavar="KIND",
        help="deals = report 1 per deal, requests = report 1 per request (a lead and its deal as one),"
        " leads = report 1 per lead (conversion, lead backlog), calls = report 2 (call traffic).",
        show_default=False,
    ),
    from_day: datetime | None = typer.Option(
        None, "--from", formats=[DAY_FORMAT], metavar="YYYY-MM-DD", help="First day of the period."
    ),
    to_day: datetime | None = typer.Option(
        None,
        "--to",
        formats=[DAY_FORMAT],
        metavar="YYYY-MM-DD",
        help="Last day of the period (included); default today in the portal's time zone.",
    ),
    last_days: int | None = typer.Option(
        None,
        "--last",
        metavar="DAYS",
        help=f"The last DAYS days up to --to (e.g. 7, 30 or 90); without any period option: {DEFAULT_DAYS}.",
    ),
    this_month: bool = typer.Option(False, "--this-month", help="From the 1st of this month to today."),
    department: list[int] = typer.Option(
        [], metavar="ID", help="Only this department and its sub-departments; repeat for several."
    ),
    manager: list[int] = typer.Option(
        [], metavar="ID", help="Only this manager (user ID); repeat for several."
    ),
    team: str | None = typer.Option(
        None, metavar="NAME", help="Only the members of this team (marts.teams)."
    ),
    all_staff: bool = typer.Option(
        False,
        "--all-staff",
        help="Everyone, not only the sales departments (B24_SALES_DEPARTMENTS, or those whose employees own"
        " deals), which the report shows when no --department, --manager or --team is given.",
    ),
    sort: str | None = typer.Option(
        None,
        metavar="COLUMN",
        help="Sort by this column, largest first. deals: "
        + ", ".join(SORT_COLUMNS["deals"])
        + ". requests: "
        + ", ".join(SORT_COLUMNS["requests"])
        + ". leads: "
        + ", ".join(SORT_COLUMNS["leads"])
        + ". calls: "
        + ", ".join(SORT_COLUMNS["calls"])
        + ". Default: the first of each.",
        show_default=False,
    ),
    output: OutputFormat = typer.Option(
        OutputFormat.table,
        "--format",
        metavar="table|csv|json",
        help="A table for the terminal; csv or json for other tools.",
    ),
    lang: Language | None = typer.Option(
        None,
        "--lang",
        metavar="ru|en",
        help="Labels in ru or en; default B24OPS_LANGUAGE. CSV and JSON keep column names.",
    ),
) -> None:
    """Report 1 or report 2 per manager for a period, from the marts.

    The period is the last 30 days up to today (in the portal's time zone) unless --from/--to, --last
    or --this-month say otherwise. The people are the sales departments' unless --department, --manager,
    --team or --all-staff say otherwise.
    """
    try:
        first, last = report_period(
            _today(),
            first=from_day.date() if from_day else None,
            last=to_day.date() if to_day else None,
            days=last_days,
            this_month=this_month,
        )
    except PeriodError as exc:
        raise typer.BadParameter(str(exc)) from None
    scope = Slice(tuple(department), tuple(manager), team, all_staff)
    try:
        result = run_report(_warehouse(), kind.value, first, last, scope, sort)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--sort") from None
    if output is OutputFormat.csv:
        sys.stdout.write(as_csv(result))
    elif output is OutputFormat.json:
        sys.stdout.write(as_json(result) + "\n")
    else:
        language = _language(settings(), lang)
        console.print(report_table(result, report_title(kind.value, first, last, language), language))


@app.command(
    "emulator",
    cls=HumanCommand,
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def emulator_command(ctx: typer.Context) -> None:
    """The local Bitrix24 emulator: `b24ops emulator serve --help` lists its options."""
    # A separate program, not imported by the product: hand over the whole command line.
    os.execv(sys.executable, [sys.executable, "-m", "bitrix24_emulator", *ctx.args])


@app.command(cls=HumanCommand)
def down() -> None:
    """Stop everything `up` and `demo` started (by recorded PID) and the embedded warehouse."""
    for name in recorded_services():
        stopped = stop_emulator() if name == "emulator" else stop_background(name)
        if stopped:
            console.print(f"stopped {name}")
    if stop_embedded():
        console.print("stopped the embedded warehouse")


@alerts_app.command("test", cls=HumanCommand)
@one_line_errors
def alerts_test(
    to: int = typer.Option(..., "--to", metavar="USER", help="The Bitrix24 user ID to send it to."),
) -> None:
    """Send one test notification to USER the way alerts go: the portal's webhook, im.notify.system.add.

    In the alerts' language (B24_ALERTS_LANGUAGE, else B24OPS_LANGUAGE, else Russian), whether alerts are
    on or not; nothing is written to the alert ledger and the warehouse is not needed.
    """
    # Imported here: the delivery code and the Bitrix24 resource bring Dagster and requests.
    from orchestration.alerts.delivery import NOTIFY_METHOD, send
    from orchestration.alerts.messages import probe_text
    from orchestration.defs.resources import bitrix24_resource

    # The client's retry notes (a refused connection is tried again) are for a run's log; here the one line
    # at the end says what happened.
    logging.getLogger("orchestration.bitrix24").setLevel(logging.ERROR)
    config = settings()
    try:
        # as the delivery assets do: a send that may have reached the portal is never repeated
        portal = bitrix24_resource(config, config.reveal).client(repeat_unanswered=False)
    except ValueError as exc:  # not configured, or not a webhook URL: the messages name no secret
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    with portal:
        notification = send(portal, to, probe_text(config.alert_texts_language))
    console.print(
        f"sent a test notification to user {to} with {NOTIFY_METHOD} (notification {notification})",
        highlight=False,
    )


@warehouse_app.command("start", cls=HumanCommand)
@one_line_errors
def warehouse_start() -> None:
    """Start (or reach) the warehouse and create its schemas."""
    console.print(_warehouse().redacted())


@warehouse_app.command("stop", cls=HumanCommand)
def warehouse_stop() -> None:
    """Stop the embedded warehouse (a WAREHOUSE_URL server is not ours to stop)."""
    console.print("stopped" if stop_embedded() else "the embedded warehouse was not running")


@warehouse_app.command("url", cls=HumanCommand)
@one_line_errors
def warehouse_url() -> None:
    """Print the warehouse URL (password masked)."""
    console.print(_warehouse().redacted(), highlight=False)


@warehouse_app.command(
    "dbt", cls=HumanCommand, context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
)
@one_line_errors
def warehouse_dbt(ctx: typer.Context) -> None:
    """Run dbt on the warehouse with the project's profile: b24ops warehouse dbt build --full-refresh.

    For what the Dagster assets do not offer: a full refresh after an upgrade, a single model, dbt docs.
    """
    from orchestration.settings import child_environment, dbt_threads_env
    from orchestration.warehouse import publish

    location = _warehouse()
    # dbt run by hand writes `marts` itself: the pipeline's candidate copy of the marts would be stale, so it
    # goes (the next pipeline build copies the marts again; orchestration/warehouse/publish.py)
    conn = connect(location)
    try:  # waits for a pipeline build in progress; its owner names this command
        owner = f"b24ops warehouse dbt ({os.getpid()})"
        publish.claim(conn, owner)
        publish.drop_candidate(conn, owner)
    finally:
        conn.close()
    # The dbt beside this Python (as the Dagster assets run it), with the connection profiles.yml reads.
    dbt = str(Path(sys.executable).parent / "dbt")
    project = str(DBT_PROJECT_DIR)
    command = [dbt, *ctx.args, "--project-dir", project, "--profiles-dir", project]
    os.execve(dbt, command, child_environment(location.dbt_env() | dbt_threads_env(settings().dbt_threads)))


@warehouse_app.command("psql", cls=HumanCommand)
@one_line_errors
def warehouse_psql() -> None:
    """Open psql on the warehouse."""
    from orchestration.settings import child_environment

    location = _warehouse()
    psql = shutil.which("psql")
    if psql is None:
        raise WarehouseUnavailableError("psql is not installed (apt-get install postgresql-client)")
    # The password in the environment only: a command line is visible to every user of the machine (ps).
    without_password = dataclasses.replace(location, password="")
    env = child_environment({"PGPASSWORD": location.password})
    os.execvpe(psql, [psql, without_password.libpq_url()], env)
