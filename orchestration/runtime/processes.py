"""Background services (Dagster UI, daemon, emulator, Superset), tracked by PID files: used by the CLI and
by orchestration/runtime/superset_server.py.

``b24ops down`` stops exactly what ``up``/``demo`` started, by the PIDs recorded here, never by
process name: another Dagster or PostgreSQL on the machine is left alone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from orchestration.paths import DATA_DIR

PID_DIR = DATA_DIR / "pids"
LOG_DIR = DATA_DIR / "logs"


def start_background(name: str, argv: Sequence[str], env: Mapping[str, str] | None = None) -> int:
    """Start ``argv`` in its own session (so its whole process group can be stopped) and record its PID."""
    PID_DIR.mkdir(parents=True, exist_ok=True)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = (LOG_DIR / f"{name}.log").open("ab")
    from orchestration.settings import child_environment  # pydantic: not for `b24ops --help` (cli/__init__)

    process = subprocess.Popen(
        list(argv),
        env=child_environment(env),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    (PID_DIR / f"{name}.pid").write_text(str(process.pid))
    return process.pid


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_pid(name: str) -> int | None:
    pid_file = PID_DIR / f"{name}.pid"
    if not pid_file.exists():
        return None
    pid = int(pid_file.read_text().strip() or 0)
    if pid and is_running(pid):
        return pid
    pid_file.unlink(missing_ok=True)
    return None


def stop_background(name: str, timeout_s: float = 20.0) -> bool:
    """SIGTERM the recorded process group, SIGKILL it after ``timeout_s``. Returns whether it was running."""
    pid = running_pid(name)
    if pid is None:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and is_running(pid):
        _reap(pid)
        time.sleep(0.2)
    if is_running(pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    _reap(pid)
    (PID_DIR / f"{name}.pid").unlink(missing_ok=True)
    return True


def _reap(pid: int) -> None:
    """Collect the exit status if the process is our child, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def recorded_services() -> list[str]:
    return sorted(path.stem for path in PID_DIR.glob("*.pid")) if PID_DIR.exists() else []


def log_path(name: str) -> Path:
    return LOG_DIR / f"{name}.log"
