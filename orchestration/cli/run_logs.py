"""While a sync runs, everything the process writes to its standard output and error goes to a log file.

dbt's log lines (dagster-dbt re-emits each on ``sys.stdout``), Dagster's warnings and console logger, and
the compute logs' tee all write to file descriptors 1 and 2, so both are pointed at the file for the
duration; the progress bars draw on a duplicate of the terminal taken before (:func:`beside_capture`),
and the command names the file at the end. (Dagster itself points descriptors 1 and 2 at its compute-log
tee while a step runs: a console on ``sys.stdout`` would then see a pipe and stop redrawing, which the
duplicate also avoids.)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console

from orchestration.runtime.processes import LOG_DIR


def log_file(command: str) -> Path:
    """The log of the last ``b24ops <command>`` run: ``.data/logs/<command>.log``."""
    return LOG_DIR / f"{command}.log"


@contextmanager
def output_to(path: Path) -> Iterator[Path]:
    """Point file descriptors 1 and 2 at ``path`` (truncated) inside the block, then back."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    try:
        with path.open("wb") as log:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
            try:
                yield path
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os.dup2(saved[0], 1)
                os.dup2(saved[1], 2)
    finally:
        os.close(saved[0])
        os.close(saved[1])


def beside_capture(console: Console) -> Console:
    """A console on a duplicate of ``console``'s file descriptor (unchanged if it has none)."""
    try:
        fd = console.file.fileno()
    except (AttributeError, OSError, ValueError):  # an in-memory file: nothing redirects it
        return console
    stream = os.fdopen(os.dup(fd), "w", buffering=1, encoding=console.encoding)
    # the same width: a log's console was given one (rich would assume 80 columns for the duplicate)
    return Console(file=stream, width=None if console.is_terminal else console.width)
