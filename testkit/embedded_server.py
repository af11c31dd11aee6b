"""An embedded PostgreSQL server of a test's own, beside the one the tests share (e.g. to stop it mid-sync, or
to watch a new cluster's first start)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from orchestration.paths import PROJECT_ROOT


def embedded(data_dir: Path, action: str) -> str:
    """Start or stop the embedded PostgreSQL under ``data_dir`` in a process of its own (the library keeps
    per-process state, and this process already runs the tests' server); the server's libpq URI on start."""
    code = (
        "import sys; from pathlib import Path; from orchestration.runtime import embedded_postgres;"
        f" print(embedded_postgres.{action}_embedded(Path(sys.argv[1])))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(data_dir)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@contextmanager
def own_embedded_server(name: str) -> Iterator[tuple[Path, str]]:
    """A server started under ``.data/<name>-<pid>``: its data folder and libpq URI; stopped and removed
    afterwards."""
    # not under pytest's 0700 temporary folders: the server runs as its own OS user when the tests are root
    data_dir = PROJECT_ROOT / ".data" / f"{name}-{os.getpid()}"
    data_dir.mkdir(parents=True, exist_ok=False)
    try:
        yield data_dir, embedded(data_dir, "start")
    finally:
        embedded(data_dir, "stop")
        shutil.rmtree(data_dir, ignore_errors=True)
