"""Start and stop the local Superset web server (gunicorn on 127.0.0.1), tracked by its PID file.

It runs as a background service of ``make up`` beside the Dagster UI, through the same PID-file
machinery (``orchestration.runtime.processes``), so ``make down`` stops exactly this process group.
"""

from __future__ import annotations

import time

import requests

from orchestration.runtime.processes import log_path, running_pid, start_background, stop_background
from orchestration.runtime.superset_install import Progress, ensure_superset
from orchestration.superset.settings import LocalSuperset

# Cold start of one gunicorn worker measured at 10-40 s on the 2-core CI machine (import of pandas,
# sqlglot and the Flask app); the deadline leaves room for a loaded machine.
START_TIMEOUT_S = 240.0


class SupersetStartError(RuntimeError):
    """The web server did not become healthy; the message points at its log."""


def is_healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/health", timeout=5).text.strip() == "OK"
    except requests.RequestException:
        return False


def wait_healthy(superset: LocalSuperset, timeout_s: float = START_TIMEOUT_S) -> None:
    name = superset.service_name
    deadline = time.monotonic() + timeout_s
    while not is_healthy(superset.url):
        if running_pid(name) is None:
            raise SupersetStartError(f"Superset exited during start-up; see {log_path(name)}")
        if time.monotonic() > deadline:
            raise SupersetStartError(
                f"Superset did not answer on {superset.url} within {timeout_s:.0f} s; see {log_path(name)}"
            )
        time.sleep(1.0)


def start_superset(superset: LocalSuperset | None = None, progress: Progress = print) -> str:
    """Install/initialise if needed, start the web server unless it runs, wait until healthy; its URL."""
    superset = ensure_superset(superset, progress)
    if running_pid(superset.service_name) is None:
        gunicorn = superset.venv_dir / "bin" / "gunicorn"
        start_background(
            superset.service_name,
            [
                str(gunicorn),
                "--bind",
                f"127.0.0.1:{superset.port}",
                "--workers",
                "1",
                "--worker-class",
                "gthread",
                "--threads",
                "8",
                "--timeout",
                "120",
                # gunicorn's control socket defaults to one path per user: two instances would collide
                "--control-socket",
                str(superset.data_dir / "gunicorn.ctl"),
                "superset.app:create_app()",
            ],
            env=superset.environment(),
        )
    wait_healthy(superset)
    return superset.url


def stop_superset(superset: LocalSuperset | None = None) -> bool:
    """Stop the web server started by :func:`start_superset`. Returns whether it was running."""
    return stop_background((superset or LocalSuperset()).service_name)
