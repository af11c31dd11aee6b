"""Install Superset into its own virtual environment and prepare its metadata database.

Superset pins SQLAlchemy 1.4 and an older pandas than the project (Dagster and dbt need newer ones), so
it cannot share ``.venv``: it gets ``.superset-venv`` from the pinned ``superset/requirements.lock``.
Both steps are skipped when nothing changed (a stamp holds the lock file's hash), so ``make up`` pays
for them once.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from orchestration.settings import child_environment
from orchestration.superset.settings import DATA_DIR, SUPERSET_DIR, LocalSuperset

LOCK_FILE = SUPERSET_DIR / "requirements.lock"
# A freshly migrated and initialised SQLite metadata database per Superset version: `db upgrade` + `init`
# took 2-3 minutes on the loaded 2-core CI machine, a copy takes milliseconds (tests start their own
# Superset on an empty metadata database each time).
PRISTINE_DIR = DATA_DIR / "pristine-metadata"
Progress = Callable[[str], None]


class SupersetInstallError(RuntimeError):
    """A step of the Superset installation failed; the message holds the step's output tail."""


def _lock_hash() -> str:
    return hashlib.sha256(LOCK_FILE.read_bytes()).hexdigest()


def _uv() -> str:
    found = shutil.which("uv") or str(Path.home() / ".local" / "bin" / "uv")
    if not Path(found).exists():
        raise SupersetInstallError("uv is not installed: run `make env` (it installs uv) first")
    return found


def _run(argv: Sequence[str], step: str, env: dict[str, str] | None = None) -> None:
    result = subprocess.run(
        list(argv),
        env=child_environment(env),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise SupersetInstallError(f"{step} failed (exit {result.returncode}):\n{tail}")


def ensure_venv(superset: LocalSuperset, progress: Progress = lambda _m: None) -> None:
    """Create ``.superset-venv`` with exactly the locked packages, unless it already has them."""
    stamp = superset.venv_dir / ".b24ops-lock-sha256"
    if stamp.exists() and stamp.read_text() == _lock_hash() and superset.executable.exists():
        return
    progress(f"installing Superset into {superset.venv_dir} (once; about 30 s with a warm network) …")
    uv = _uv()
    # The project's own Python 3.11: uv would otherwise try to download one, and only PyPI is reachable.
    _run([uv, "venv", "--allow-existing", "--python", sys.executable, str(superset.venv_dir)], "uv venv")
    python = str(superset.venv_dir / "bin" / "python")
    # --compile-bytecode: where PYTHONDONTWRITEBYTECODE is set, each superset command would compile its
    # imports again (see the Makefile's env target)
    _run(
        [uv, "pip", "install", "--compile-bytecode", "--python", python, "-r", str(LOCK_FILE)],
        "uv pip install",
    )
    stamp.write_text(_lock_hash())


def superset_cli(superset: LocalSuperset, *args: str) -> list[str]:
    return [str(superset.executable), *args]


def ensure_metadata(superset: LocalSuperset, progress: Progress = lambda _m: None) -> None:
    """Migrate the metadata database, create roles and permissions, create or update the admin user.

    ``db upgrade`` and ``init`` run only when the lock (so the Superset version) changed; the admin's
    password is set on every call, so a new ``SUPERSET_ADMIN_PASSWORD`` takes effect. Passwords go to
    subprocesses through the environment, never argv (visible to every local user in ``ps``).
    """
    superset.data_dir.mkdir(parents=True, exist_ok=True)
    env = superset.environment()
    stamp = superset.data_dir / "metadata-lock-sha256"
    if not (stamp.exists() and stamp.read_text() == _lock_hash()):
        pristine = PRISTINE_DIR / f"{_lock_hash()[:16]}.db"
        uses_sqlite = superset.metadata_url == f"sqlite:///{superset.sqlite_path}"
        if uses_sqlite and pristine.exists() and not superset.sqlite_path.exists():
            shutil.copyfile(pristine, superset.sqlite_path)
        else:
            progress("preparing Superset's metadata database (db upgrade, init; minutes, once) …")
            fresh = uses_sqlite and not superset.sqlite_path.exists()
            _run(superset_cli(superset, "db", "upgrade"), "superset db upgrade", env)
            _run(superset_cli(superset, "init"), "superset init", env)
            if fresh:
                PRISTINE_DIR.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(superset.sqlite_path, pristine)
        stamp.write_text(_lock_hash())
    password = superset.admin_password()
    user = superset.admin_user
    _run(
        [str(superset.venv_dir / "bin" / "python"), str(SUPERSET_DIR / "scripts" / "ensure_admin.py")],
        "creating the Superset admin user",
        {**env, "B24OPS_ADMIN_USER": user, "B24OPS_ADMIN_PASSWORD": password.value},
    )
    if password.generated:
        progress(
            f"Superset admin: user {user!r}, generated password {password.value} "
            f"(shown once; stored in {superset.data_dir / 'admin_password'})"
        )


def ensure_superset(superset: LocalSuperset | None = None, progress: Progress = print) -> LocalSuperset:
    """Install (if needed) and initialise Superset; return the installation."""
    superset = superset or LocalSuperset()
    ensure_venv(superset, progress)
    ensure_metadata(superset, progress)
    return superset
