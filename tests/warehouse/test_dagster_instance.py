"""The product's Dagster instance (``b24ops up`` / ``demo`` and docker-compose): no telemetry, and no
"new user experience" pop-up on the UI's first visit (#19 point 10; ``nux.enabled`` of dagster.yaml)."""

from pathlib import Path

import yaml

from orchestration.paths import PROJECT_ROOT
from orchestration.runtime.instance import open_instance
from orchestration.warehouse.bootstrap import dagster_storage_url


def test_the_instance_shows_no_first_visit_popup(fresh_database, tmp_path: Path) -> None:
    with open_instance(dagster_storage_url(fresh_database, ""), tmp_path / "dagster_home") as instance:
        assert instance.nux_enabled is False
        assert instance.telemetry_enabled is False


def test_the_docker_compose_instance_neither() -> None:
    config = yaml.safe_load((PROJECT_ROOT / "deploy" / "dagster.yaml").read_text())
    assert config["nux"] == {"enabled": False}
    assert config["telemetry"] == {"enabled": False}
