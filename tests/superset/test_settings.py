"""No default passwords: secrets come from the environment or are generated once, stored privately."""

from __future__ import annotations

import os
import runpy
import stat
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from pydantic import SecretStr

from orchestration.cli.periods import report_period
from orchestration.paths import PROJECT_ROOT
from orchestration.runtime.superset_install import ensure_venv
from orchestration.settings import Settings, portal_today
from orchestration.superset.settings import LocalSuperset, stored_secret


def test_a_generated_secret_is_random_private_and_reused(tmp_path):
    first = stored_secret(None, "secret", tmp_path)
    again = stored_secret(None, "secret", tmp_path)
    other = stored_secret(None, "secret", tmp_path / "elsewhere")
    assert first.generated and not again.generated
    assert again.value == first.value != other.value
    assert len(first.value) >= 32
    assert stat.S_IMODE((tmp_path / "secret").stat().st_mode) == 0o600


def test_the_configured_password_wins_and_nothing_is_written(tmp_path):
    settings = Settings(superset_admin_password=SecretStr("from-the-settings"))
    superset = LocalSuperset(data_dir=tmp_path, settings=settings)
    assert superset.admin_password().value == "from-the-settings"
    assert not (tmp_path / "admin_password").exists()


def test_the_server_environment_has_a_generated_secret_key_and_no_password(tmp_path):
    env = LocalSuperset(
        data_dir=tmp_path, settings=Settings(superset_secret_key=None, superset_metadata_url=None)
    ).environment()
    assert len(env["SUPERSET_SECRET_KEY"]) >= 32
    assert env["SUPERSET_METADATA_URL"] == f"sqlite:///{tmp_path / 'superset.db'}"
    assert not any("PASSWORD" in name for name in env)


@pytest.mark.parametrize("language", ["ru", "en"])
def test_superset_starts_in_the_configured_language_with_its_number_and_day_formats(
    tmp_path, monkeypatch, language
):
    """The server gets B24OPS_LANGUAGE; superset_config.py makes it the interface's default, offers both
    languages, and in Russian sets d3's ru-RU number and time locales (1 234,5; 31.10.2026)."""
    environment = LocalSuperset(data_dir=tmp_path, settings=Settings(language=language)).environment()
    assert environment["B24OPS_LANGUAGE"] == language
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    config = runpy.run_path(environment["SUPERSET_CONFIG_PATH"])
    assert config["BABEL_DEFAULT_LOCALE"] == language
    assert set(config["LANGUAGES"]) == {"ru", "en"}
    if language == "ru":
        assert (config["D3_FORMAT"]["decimal"], config["D3_FORMAT"]["thousands"]) == (",", "\u00a0")
        assert config["D3_TIME_FORMAT"]["date"] == "%d.%m.%Y"
    else:
        assert "D3_FORMAT" not in config  # Superset's own (English) formats


# What the web server does with the dashboards' default range: its config loaded as superset.config loads
# it, then Superset's own parser of the native time filter's default (filters.yaml).
LAST_30_DAYS = """
import sys
import superset.config  # loads SUPERSET_CONFIG_PATH, as the server does at start
from superset.utils.date_parser import get_since_until
since, until = get_since_until(sys.argv[1])
print(since.date().isoformat(), until.date().isoformat())
"""


@pytest.mark.integration
def test_last_30_days_ends_on_the_portals_today_not_the_servers(tmp_path):
    """#19: Superset evaluates "today" with its process's clock and zone; superset_config.py puts the process
    in B24_PORTAL_TIME_ZONE, so the dashboards' default range is the CLI's default period: the 30 days up to
    the portal's today, today included (`[portal today - 29, portal today + 1)`). The
    portal's zone is chosen so that its date differs from UTC's now (UTC+14 from 11:00 UTC, else UTC-12),
    and the server's own zone is UTC."""
    now = datetime.now(UTC)
    zone = "Pacific/Kiritimati" if now.hour >= 11 else "Etc/GMT+12"
    today = portal_today(zone)
    assert today != now.date(), "the test needs a moment when the portal's date is not UTC's"
    superset = LocalSuperset(data_dir=tmp_path, settings=Settings(portal_time_zone=zone))
    ensure_venv(superset)
    filters = yaml.safe_load((PROJECT_ROOT / "superset" / "bundle" / "filters.yaml").read_text())["filters"]
    default_range = next(entry["default"] for entry in filters if entry["key"] == "date")
    environment = {**superset.environment(), "PATH": os.environ["PATH"], "TZ": "UTC"}
    result = subprocess.run(
        [str(superset.venv_dir / "bin" / "python"), "-c", LAST_30_DAYS, default_range],
        env=environment, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    since, until = result.stdout.split()[-2:]
    # Superset's range excludes its end; the CLI's default period for the same portal date
    first, last = report_period(today)
    assert (since, until) == (first.isoformat(), (last + timedelta(days=1)).isoformat())
