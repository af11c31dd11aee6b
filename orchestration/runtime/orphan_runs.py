"""Runs left STARTED by a sync that was killed are marked failed when the next sync starts.

``b24ops sync`` (and the demo) execute their Dagster runs inside their own process: no run launcher and
no run worker, so the daemon's run monitoring does not watch them, and a run whose process died without
a word (``kill -9``, the OOM killer, a reboot) would stay STARTED in the UI forever. Each sync run is
tagged with the host, PID and start time of the process executing it; a STARTED run of this host whose
process no longer exists (or whose PID now belongs to a newer process) is failed with a message saying so.
Runs of other hosts are left alone: from here nobody can tell whether they still run.
"""

from __future__ import annotations

import socket

import dagster as dg
import psutil

HOST_TAG = "b24ops/host"
PID_TAG = "b24ops/pid"
PROCESS_STARTED_TAG = "b24ops/process_started"


def _started(process: psutil.Process) -> str:
    return f"{process.create_time():.2f}"


def runner_tags() -> dict[str, str]:
    """The tags naming this process on the runs it executes."""
    me = psutil.Process()
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(me.pid), PROCESS_STARTED_TAG: _started(me)}


def _process_gone(tags: dict[str, str]) -> bool:
    try:
        return _started(psutil.Process(int(tags[PID_TAG]))) != tags[PROCESS_STARTED_TAG]
    except psutil.NoSuchProcess:
        return True


def is_orphaned(run: dg.DagsterRun) -> bool:
    """Whether ``run`` is a STARTED sync run of this host whose process is gone."""
    return (
        run.status == dg.DagsterRunStatus.STARTED
        and run.tags.get(HOST_TAG) == socket.gethostname()
        and PID_TAG in run.tags
        and _process_gone(run.tags)
    )


def fail_orphaned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Fail this host's STARTED sync runs whose process is gone; returns their run IDs."""
    runs = instance.get_runs(
        dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED], tags={HOST_TAG: socket.gethostname()})
    )
    orphaned = [run for run in runs if is_orphaned(run)]
    for run in orphaned:
        instance.report_run_failed(
            run,
            f"the process that ran it (PID {run.tags[PID_TAG]}) ended without finishing it "
            "(killed or crashed); marked failed by the next sync",
        )
    return [run.run_id for run in orphaned]
