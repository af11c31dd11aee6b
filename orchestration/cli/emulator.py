"""Start the local Bitrix24 emulator as a separate process (the product never imports it)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import date

from orchestration.runtime.processes import PID_DIR, log_path, running_pid, start_background, stop_background

EMULATOR = "emulator"
URL_FILE = PID_DIR / "emulator.url"
# The arguments the running emulator was started with: a running one is reused only for the same portal.
ARGS_FILE = PID_DIR / "emulator.args"


def start_emulator(*, seed: int, managers: int, days: int, end_date: date, fast: bool = True) -> str:
    """Start the emulator (or reuse one serving the same portal) and return its webhook URL."""
    return launch_emulator(seed=seed, managers=managers, days=days, end_date=end_date, fast=fast)()


def launch_emulator(
    *, seed: int, managers: int, days: int, end_date: date, fast: bool = True, timeout_s: float = 300.0
) -> Callable[[], str]:
    """Start the emulator (or find one serving the same portal); the result waits for its webhook URL.

    ``end_date`` is the portal's today: its history covers the ``days`` days before it. Generating the
    portal takes seconds: the caller can do other work before it waits.
    """
    argv = [
        sys.executable,
        "-m",
        "bitrix24_emulator",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--seed",
        str(seed),
        "--managers",
        str(managers),
        "--days",
        str(days),
        "--end-date",
        end_date.isoformat(),
        "--url-file",
        str(URL_FILE),
    ]
    if fast:
        argv.append("--fast")
    if running_pid(EMULATOR) is not None and URL_FILE.exists():
        if ARGS_FILE.exists() and ARGS_FILE.read_text() == " ".join(argv):
            return lambda: URL_FILE.read_text().strip()
        stop_emulator()  # another portal (other size, or started on another day)
    URL_FILE.unlink(missing_ok=True)
    pid = start_background(EMULATOR, argv)
    ARGS_FILE.write_text(" ".join(argv))
    return lambda: _wait_for_url(pid, timeout_s)


def _wait_for_url(pid: int, timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if URL_FILE.exists() and URL_FILE.read_text().strip():
            return URL_FILE.read_text().strip()
        if running_pid(EMULATOR) is None:
            break
        time.sleep(0.2)
    stop_background(EMULATOR)
    tail = log_path(EMULATOR).read_text(errors="replace")[-2000:] if log_path(EMULATOR).exists() else ""
    raise RuntimeError(f"the Bitrix24 emulator (pid {pid}) did not start; its log ends with:\n{tail}")


def stop_emulator() -> bool:
    URL_FILE.unlink(missing_ok=True)
    ARGS_FILE.unlink(missing_ok=True)
    return stop_background(EMULATOR)
