"""The live progress of ``b24ops sync``: one rich progress bar per step.

Each bar counts the step's materialisations — asset partitions for the change windows and the marts,
assets otherwise — from Dagster's events as the run stores them. A step that reads the portal also shows
rows and HTTP requests so far, read live from the request counters of the clients the run creates, and an
ETA from the pacing rate (:func:`StepCounters.eta_seconds`).

Dagster captures a step's output by pointing file descriptors 1 and 2 at its compute-log tee while the step
runs; a console on ``sys.stdout`` then sees a pipe, and rich stops redrawing. So the bars draw on a duplicate
of the console's descriptor taken before the first run, which stays the terminal (or the pipe) it was.

On a terminal the bars redraw in place. Elsewhere (CI, a pipe, a log file) rich draws nothing while a bar
runs and prints its final state once when the step ends; this module adds plain lines — the step's
estimate when it starts and one line per raw asset when it is loaded — so a log shows progress too.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable

import dagster as dg
from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TaskID, TextColumn, TimeElapsedColumn
from rich.text import Text

from orchestration.bitrix24.stats import ExtractStats
from orchestration.cli.run_logs import beside_capture
from orchestration.cli.sync_estimate import RequestEstimate
from orchestration.runtime.sync import SyncStep

Estimator = Callable[[SyncStep], RequestEstimate | None]
# A reading step's line (name with its dates, bar, partitions, rows, requests, time) fits 120 columns, a log's
# width, without wrapping.
BAR_WIDTH = 20


class StepCounters:
    """Rows and requests of one step, written by the thread running it and read by rich's refresh thread."""

    def __init__(self, step: SyncStep, estimate: RequestEstimate | None, rate: float | None) -> None:
        self.estimate, self.rate = estimate, rate
        self._asset_steps = step.asset_step_keys
        self._lock = threading.Lock()
        self._running: str | None = None
        self._clients: dict[str, list[ExtractStats]] = defaultdict(list)
        self._rows: dict[str, dict[str, int]] = defaultdict(dict)  # step key → asset → rows of its run
        self._partitions: dict[str, int] = defaultdict(int)  # step key → materialisations
        self._started = time.monotonic()

    def running(self, step_key: str | None) -> None:
        with self._lock:
            self._running = step_key

    def client_created(self, stats: ExtractStats) -> None:
        """Count a client's requests under the running asset; the asset checks' count queries are left out."""
        with self._lock:
            if self._running in self._asset_steps:
                self._clients[self._running].append(stats)

    def materialized(self, step_key: str, asset: str, rows: int) -> None:
        # Every partition of a single-run backfill records its own rows (defs/ingestion/run_metadata.py): add
        # them.
        with self._lock:
            self._partitions[step_key] += 1
            self._rows[step_key][asset] = self._rows[step_key].get(asset, 0) + rows

    def requests(self, step_key: str | None = None) -> int:
        with self._lock:
            keys = [step_key] if step_key else list(self._clients)
            return sum(stats.http_requests for key in keys for stats in self._clients.get(key, []))

    def rows(self, step_key: str | None = None) -> int:
        """Rows loaded: the materialised assets' own counts, plus rows paged so far by a running asset."""
        with self._lock:
            keys = [step_key] if step_key else list({*self._clients, *self._rows})
            return sum(
                sum(self._rows[key].values())
                if key in self._rows
                else sum(stats.rows for stats in self._clients.get(key, []))
                for key in keys
            )

    def assets(self, step_key: str) -> list[str]:
        """The assets a step of the run materialised (none for an asset check)."""
        with self._lock:
            return sorted(self._rows.get(step_key, {}))

    def partitions(self, step_key: str) -> int:
        with self._lock:
            return self._partitions.get(step_key, 0)

    def portal_wait(self, now: float) -> tuple[str, float] | None:
        """The method the portal blocks for its operating-time limit and the seconds left, while a client of
        the running step waits for it (docs/bitrix24-api.md § Limits: up to 10 minutes), else None."""
        with self._lock:
            clients = self._clients.get(self._running, []) if self._running else []
            waits = [stats.operating_wait for stats in clients if stats.operating_wait is not None]
        if not waits:
            return None
        method, until = max(waits, key=lambda wait: wait[1])
        return method, max(0.0, until - now)

    def eta_seconds(self) -> float | None:
        """Seconds left for the estimated requests: at the pacing rate, else at the rate observed so far.

        The client sends requests one at a time and never faster than the plan's rate (``B24_PLAN``), so
        on a rate-limited portal the time left is bounded by *requests left ÷ rate* — the pacing bound of
        docs/connecting-a-portal.md; a slow portal or retries add to it. Without pacing (an unlimited plan)
        the requests left are timed at the step's own requests per second. None without an estimate.
        """
        if self.estimate is None:
            return None
        done = self.requests()
        left = max(0, self.estimate.total - done)
        if self.rate:
            return left / self.rate
        elapsed = time.monotonic() - self._started
        return left * elapsed / done if done else None


class _CountsColumn(ProgressColumn):
    """``1,234 rows · 12/≈40 requests`` for a step that reads the portal (and, while the portal blocks a
    method, how long it asks to wait), nothing otherwise."""

    def render(self, task: Task) -> Text:
        counters: StepCounters | None = task.fields.get("counters")
        if counters is None:
            return Text("")
        estimate = f"/≈{counters.estimate.total:,}" if counters.estimate else ""
        text = f"{counters.rows():,} rows · {counters.requests():,}{estimate} requests"
        wait = counters.portal_wait(time.time())
        if wait is not None:
            method, seconds = wait
            minutes, secs = divmod(int(seconds), 60)
            text += f" · the portal asks to wait {minutes}:{secs:02d} ({method} operating-time limit)"
        return Text(text)


class _EtaColumn(ProgressColumn):
    """The pacing ETA of a reading step; for the others rich's own, from the materialisations so far."""

    def render(self, task: Task) -> Text:
        if task.finished:
            return Text("")
        counters: StepCounters | None = task.fields.get("counters")
        seconds = counters.eta_seconds() if counters else None
        if seconds is None:
            seconds = task.time_remaining
        if seconds is None:
            return Text("ETA -:--:--", style="progress.remaining")
        minutes, secs = divmod(int(seconds), 60)
        return Text(f"ETA {minutes // 60}:{minutes % 60:02d}:{secs:02d}", style="progress.remaining")


def counted(number: int, noun: str) -> str:
    """``1 partition``, ``2,000 partitions``: a count with its noun (a regular English plural)."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


class RichSyncProgress:
    """A :class:`~orchestration.runtime.sync.SyncObserver` drawing the sync on a rich console."""

    def __init__(
        self, console: Console, estimator: Estimator = lambda _step: None, rate: float | None = None
    ) -> None:
        self.console, self.estimator, self.rate = beside_capture(console), estimator, rate
        self._counters: StepCounters | None = None
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def step_started(self, step: SyncStep) -> None:
        estimate = self.estimator(step)
        counters = StepCounters(step, estimate, self.rate) if step.extracts else None
        unit = "partition" if step.partition_keys else "asset"
        if not self.console.is_terminal:
            plan = _plan(estimate, self.rate if step.extracts else None)
            self.console.print(f"{step.name}: {counted(step.expected_materializations, unit)}{plan}")
        self._counters = counters
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=BAR_WIDTH),
            TextColumn("{task.completed:,.0f}/{task.total:,.0f} {task.fields[unit]}"),
            _CountsColumn(),
            _EtaColumn(),
            TimeElapsedColumn(),
            console=self.console,
        )
        self._task = self._progress.add_task(
            step.name, total=step.expected_materializations, unit=f"{unit}s", counters=counters
        )
        self._progress.start()

    def client_created(self, stats: ExtractStats) -> None:
        if self._counters is not None:
            self._counters.client_created(stats)

    def event(self, entry: dg.EventLogEntry) -> None:
        event = entry.dagster_event
        if event is None or self._progress is None or self._task is None:
            return
        counters = self._counters
        if event.is_step_start and counters:
            counters.running(event.step_key)
        elif event.is_step_materialization:
            materialization = event.step_materialization_data.materialization
            rows = materialization.metadata.get("rows")
            if counters and event.step_key:
                asset = materialization.asset_key.to_user_string()
                counters.materialized(event.step_key, asset, int(getattr(rows, "value", rows) or 0))
            self._progress.advance(self._task)
        elif event.is_step_success and counters and event.step_key:
            counters.running(None)
            if not self.console.is_terminal and counters.assets(event.step_key):
                key = event.step_key
                self.console.print(
                    f"  {', '.join(counters.assets(key))}: {counted(counters.partitions(key), 'partition')}, "
                    f"{counted(counters.rows(key), 'row')}, {counted(counters.requests(key), 'request')}"
                )

    def step_finished(self, step: SyncStep, seconds: float, success: bool) -> None:
        if self._progress is None:
            return
        self._progress.stop()
        if not success:
            self.console.print(f"{step.name}: [red]failed[/] after {seconds:,.0f} s")
        self._progress = self._task = self._counters = None


def _plan(estimate: RequestEstimate | None, rate: float | None) -> str:
    if estimate is None:
        return ""
    bound = f", ≈ {estimate.total / rate:,.0f} s at {rate:g} requests/s" if rate else ""
    return f", ≈ {estimate.total:,} requests{bound}"
