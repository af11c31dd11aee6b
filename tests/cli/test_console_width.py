"""Output into a log (no terminal) is as wide as a wide terminal, so tables keep their asset names whole."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from orchestration.cli import LOG_WIDTH


@pytest.mark.parametrize(("columns", "expected"), [(None, LOG_WIDTH), ("90", 90)])
def test_console_width_without_a_terminal(columns: str | None, expected: int) -> None:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    if columns:
        env["COLUMNS"] = columns
    result = subprocess.run(
        [sys.executable, "-c", "from orchestration.cli import console; print(console.width)"],
        capture_output=True,  # stdout is a pipe: no terminal
        text=True,
        env=env,
        check=True,
    )
    assert int(result.stdout.strip()) == expected
