"""Where Superset lives on this machine and the secrets it needs, read from the environment or generated.

No default passwords: the admin password is ``SUPERSET_ADMIN_PASSWORD`` or a generated one, the read-only
warehouse role's password is ``SUPERSET_DB_PASSWORD`` or a generated one. Generated secrets are stored
under ``.data/superset/`` (git-ignored, mode 0600) so the next start reuses them.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from orchestration.warehouse.embedded import DEFAULT_DATA_DIR, PROJECT_ROOT

SUPERSET_DIR = PROJECT_ROOT / "superset"
VENV_DIR = PROJECT_ROOT / ".superset-venv"
DATA_DIR = DEFAULT_DATA_DIR / "superset"

ADMIN_USER_ENV = "SUPERSET_ADMIN_USER"
ADMIN_PASSWORD_ENV = "SUPERSET_ADMIN_PASSWORD"
SECRET_KEY_ENV = "SUPERSET_SECRET_KEY"
METADATA_URL_ENV = "SUPERSET_METADATA_URL"
READONLY_USER_ENV = "SUPERSET_DB_USER"
READONLY_PASSWORD_ENV = "SUPERSET_DB_PASSWORD"
PORT_ENV = "SUPERSET_PORT"
URL_ENV = "SUPERSET_URL"

DEFAULT_ADMIN_USER = "admin"
DEFAULT_READONLY_USER = "b24ops_superset_ro"
DEFAULT_PORT = 8088


@dataclass(frozen=True)
class Secret:
    """A secret value and whether it was generated just now (then the caller may print it once)."""

    value: str
    generated: bool


def stored_secret(env_name: str, file_name: str, data_dir: Path = DATA_DIR) -> Secret:
    """The secret from ``env_name``, else the one stored in ``data_dir/file_name``, else a new one."""
    from_env = os.environ.get(env_name, "").strip()
    if from_env:
        return Secret(from_env, generated=False)
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
    port: int = DEFAULT_PORT
    # the PID-file name of its web server: a second instance (the tests') must not stop `make up`'s
    service_name: str = "superset"

    @classmethod
    def from_env(cls) -> LocalSuperset:
        return cls(port=int(os.environ.get(PORT_ENV, DEFAULT_PORT)))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def executable(self) -> Path:
        return self.venv_dir / "bin" / "superset"

    @property
    def admin_user(self) -> str:
        return os.environ.get(ADMIN_USER_ENV, DEFAULT_ADMIN_USER)

    def admin_password(self) -> Secret:
        return stored_secret(ADMIN_PASSWORD_ENV, "admin_password", self.data_dir)

    @property
    def metadata_url(self) -> str:
        return os.environ.get(METADATA_URL_ENV) or f"sqlite:///{self.sqlite_path}"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "superset.db"

    def environment(self) -> dict[str, str]:
        """What the ``superset`` process needs: config path, metadata URL, secret key."""
        return {
            "SUPERSET_CONFIG_PATH": str(SUPERSET_DIR / "superset_config.py"),
            METADATA_URL_ENV: self.metadata_url,
            SECRET_KEY_ENV: stored_secret(SECRET_KEY_ENV, "secret_key", self.data_dir).value,
            # Superset's CLI is a Flask app; it must not pick up a FLASK_APP meant for something else.
            "FLASK_APP": "superset.app:create_app()",
        }


def readonly_credentials(data_dir: Path = DATA_DIR) -> tuple[str, Secret]:
    """Name and password of the warehouse role Superset reads the marts with."""
    user = os.environ.get(READONLY_USER_ENV, "").strip() or DEFAULT_READONLY_USER
    return user, stored_secret(READONLY_PASSWORD_ENV, "readonly_db_password", data_dir)
