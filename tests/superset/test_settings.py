"""No default passwords: secrets come from the environment or are generated once, stored privately."""

from __future__ import annotations

import stat

from orchestration.superset.settings import ADMIN_PASSWORD_ENV, LocalSuperset, stored_secret


def test_a_generated_secret_is_random_private_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv("B24OPS_TEST_SECRET", raising=False)
    first = stored_secret("B24OPS_TEST_SECRET", "secret", tmp_path)
    again = stored_secret("B24OPS_TEST_SECRET", "secret", tmp_path)
    other = stored_secret("B24OPS_TEST_SECRET", "secret", tmp_path / "elsewhere")
    assert first.generated and not again.generated
    assert again.value == first.value != other.value
    assert len(first.value) >= 32
    assert stat.S_IMODE((tmp_path / "secret").stat().st_mode) == 0o600


def test_the_environment_wins_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setenv(ADMIN_PASSWORD_ENV, "from-the-environment")
    superset = LocalSuperset(data_dir=tmp_path)
    assert superset.admin_password().value == "from-the-environment"
    assert not (tmp_path / "admin_password").exists()


def test_the_server_environment_has_a_generated_secret_key_and_no_password(tmp_path, monkeypatch):
    monkeypatch.delenv("SUPERSET_SECRET_KEY", raising=False)
    monkeypatch.delenv("SUPERSET_METADATA_URL", raising=False)
    env = LocalSuperset(data_dir=tmp_path).environment()
    assert len(env["SUPERSET_SECRET_KEY"]) >= 32
    assert env["SUPERSET_METADATA_URL"] == f"sqlite:///{tmp_path / 'superset.db'}"
    assert not any("PASSWORD" in name for name in env)
