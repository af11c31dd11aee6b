"""Where Superset lives on this machine and the secrets it needs, from the settings or generated.

No default passwords: the admin password is ``SUPERSET_ADMIN_PASSWORD`` or a generated one, the read-only
warehouse role's password is ``SUPERSET_DB_PASSWORD`` or a generated one. Generated secrets are stored
under ``.data/superset/`` (git-ignored, mode 0600) so the next start reuses them.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from orchestration import paths
from orchestration.settings import Settings, load_settings

SUPERSET_DIR = paths.SUPERSET_DIR
VENV_DIR = paths.PROJECT_ROOT / ".superset-venv"
DATA_DIR = paths.DATA_DIR / "superset"

# The variables the superset process itself reads (superset/superset_config.py).
SECRET_KEY_ENV = Settings.variable("superset_secret_key")
METADATA_URL_ENV = Settings.variable("superset_metadata_url")

# Where the generated secrets are kept, under the installation's data folder.
ADMIN_PASSWORD_FILE = "admin_password"
READONLY_PASSWORD_FILE = "readonly_db_password"

DEFAULT_ADMIN_USER = Settings.model_fields["superset_admin_user"].default
DEFAULT_READONLY_USER = Settings.model_fields["superset_db_user"].default


@dataclass(frozen=True)
class Secret:
    """A secret value and whether it was generated just now (then the caller may print it once)."""

    value: str
    generated: bool


def stored_secret(configured: SecretStr | None, file_name: str, data_dir: Path = DATA_DIR) -> Secret:
    """The ``configured`` secret, else the one stored in ``data_dir/file_name``, else a new one."""
    if configured is not None and configured.get_secret_value():
        return Secret(configured.get_secret_value(), generated=False)
    path = data_dir / file_name
    if path.exists():
        return Secret(path.read_text().strip(), generated=False)
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(24)
    # Created with 0600 from the start: never readable by others, not even for an instant.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return Secret(value, generated=True)


@dataclass(frozen=True)
class LocalSuperset:
    """The local Superset installation: its venv, metadata database, port and credentials."""

    venv_dir: Path = VENV_DIR
    data_dir: Path = DATA_DIR
    # the PID-file name of its web server: a second instance (the tests') must not stop `make up`'s
    service_name: str = "superset"
    # port, users, configured secrets; none given: as the environment says now (scripts, tests)
    settings: Settings = field(default_factory=load_settings)
    port: int = 0  # 0: the settings' SUPERSET_PORT

    def __post_init__(self) -> None:
        if not self.port:
            object.__setattr__(self, "port", self.settings.superset_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def executable(self) -> Path:
        return self.venv_dir / "bin" / "superset"

    @property
    def admin_user(self) -> str:
        return self.settings.superset_admin_user

    def admin_password(self) -> Secret:
        return stored_secret(self.settings.superset_admin_password, ADMIN_PASSWORD_FILE, self.data_dir)

    @property
    def metadata_url(self) -> str:
        return self.settings.reveal("superset_metadata_url") or f"sqlite:///{self.sqlite_path}"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "superset.db"

    def environment(self) -> dict[str, str]:
        """What the ``superset`` process needs: config path, metadata URL, secret key."""
        return {
            "SUPERSET_CONFIG_PATH": str(SUPERSET_DIR / "superset_config.py"),
            METADATA_URL_ENV: self.metadata_url,
            SECRET_KEY_ENV: stored_secret(
                self.settings.superset_secret_key, "secret_key", self.data_dir
            ).value,
            # superset_config.py: the interface's default language and its number and date formats
            self.settings.variable("language"): self.settings.language or "en",
            # superset_config.py: "today" of the relative time ranges ("Last 30 days") is the portal's
            self.settings.variable("portal_time_zone"): self.settings.portal_time_zone,
            # Superset's CLI is a Flask app; it must not pick up a FLASK_APP meant for something else.
            "FLASK_APP": "superset.app:create_app()",
        }

    def readonly_credentials(self) -> tuple[str, Secret]:
        """Name and password of the warehouse role Superset reads the marts with."""
        password = stored_secret(self.settings.superset_db_password, READONLY_PASSWORD_FILE, self.data_dir)
        return self.settings.superset_db_user, password
