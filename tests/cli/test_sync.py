"""`b24ops sync --from --to`: the documented command, in a subprocess, against the emulator over HTTP."""

import os
import subprocess
import sys

import pytest

from bitrix24_emulator.generator import GeneratorConfig, generate
from bitrix24_emulator.testing import running_emulator
from orchestration.warehouse.bootstrap import connect

pytestmark = pytest.mark.integration


def test_sync_loads_the_range_and_prints_what_it_cost(fresh_database):
    portal = generate(GeneratorConfig(seed=5, managers=6, days=15))
    with running_emulator(portal, fast=True) as emu:
        env = {**os.environ, "B24_WEBHOOK_URL": emu.webhook_url, "WAREHOUSE_URL": fresh_database.libpq_url(),
               "COLUMNS": "200"}  # fmt: skip
        result = subprocess.run(
            [sys.executable, "-m", "orchestration.cli", "sync", "--from", "2026-10-01", "--to", "2026-11-27"],
            capture_output=True, text=True, env=env, check=False, timeout=900,
        )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert emu.webhook_url.rsplit("/", 2)[-2] not in result.stdout + result.stderr  # the secret never shows
    deals = len(portal.tables["deals"].rows)
    deals_lines = [line for line in result.stdout.splitlines() if "raw/deals" in line]
    assert len(deals_lines) == 1, deals_lines  # one line per asset, however many days the run covered
    assert f"{deals:,}" in deals_lines[0]
    users_line = next(line for line in result.stdout.splitlines() if "raw/users" in line)
    assert f"{len(portal.tables['users'].rows):,}" in users_line
    assert "sync finished" in result.stdout
    conn = connect(fresh_database)
    try:
        with conn.cursor() as cur:
            cur.execute('select count(*) from marts."managerControl_Deal"')
            assert cur.fetchone()[0] == deals
    finally:
        conn.close()
