"""No default passwords: secrets come from the environment or are generated once, stored privately."""

from __future__ import annotations

import runpy
import stat

import pytest
from pydantic import SecretStr

from orchestration.settings import Settings
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
