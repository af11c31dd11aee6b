"""Importing does no work: the CLI loads without Dagster or dbt, the code location builds nothing on import.

Timings depend on the machine (docs/benchmarks.md has them); what is checked here is what makes them:
which modules an import loads, and that no dbt command runs and no manifest is read.
"""

from __future__ import annotations

import subprocess
import sys

from orchestration.paths import PROJECT_ROOT


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_the_cli_imports_neither_dagster_nor_dbt_nor_the_settings_library() -> None:
    loaded = _run(
        "import sys, orchestration.cli\n"
        "HEAVY = {'dagster', 'dagster_dbt', 'dbt', 'requests', 'pydantic'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & HEAVY))"
    )
    assert loaded.strip() == "[]"


def test_importing_the_code_location_runs_no_dbt_and_reads_no_manifest() -> None:
    out = _run(
        "import pathlib, dagster_dbt\n"
        "def refuse(*args, **kwargs): raise AssertionError('dbt ran at import')\n"
        "dagster_dbt.DbtCliResource.cli = refuse\n"
        "read = pathlib.Path.read_text\n"
        "def watched(self, *args, **kwargs):\n"
        "    assert self.name != 'manifest.json', 'the manifest was read at import'\n"
        "    return read(self, *args, **kwargs)\n"
        "pathlib.Path.read_text = watched\n"
        "import orchestration.defs.definitions, orchestration.defs.dbt, orchestration.defs.superset\n"
        "import orchestration.defs.schedules\n"
        "print(type(orchestration.defs.definitions.code_location).__name__)\n"
    )
    assert out.strip() == "LazyDefinitions"
