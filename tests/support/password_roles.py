"""PostgreSQL roles that must log in with a password, for tests of how secrets travel.

The embedded server trusts every local connection (its ``pg_hba.conf``), so a password sent wrongly
would go unnoticed. :func:`password_checked` puts a ``scram-sha-256`` rule for the given roles in front
of the trust rules while a test runs: a mangled password is then refused, as on a real server.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from psycopg2 import sql

from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation

# Every character that means something in a URL, a libpq connection string, YAML, Jinja or a shell,
# and non-ASCII; the leading token is what a test looks for in output (no piece of it may show).
HOSTILE_PASSWORD = "Kx7Zq@:/%#?&'\" \\=+;{é中}-end"
PASSWORD_TOKEN = "Kx7Zq"


def _server_setting(server: WarehouseLocation, name: str) -> str:
    conn = connect(server.with_database("postgres"), autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute("select current_setting(%s)", (name,))
            return cur.fetchone()[0]
    finally:
        conn.close()


def _reload(server: WarehouseLocation) -> None:
    conn = connect(server.with_database("postgres"), autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute("select pg_reload_conf()")
            # the rules in force, as the server parsed them: fail here, not in a confusing login later
            cur.execute("select count(*) from pg_hba_file_rules where error is not null")
            assert cur.fetchone()[0] == 0, "pg_hba.conf has an error"
    finally:
        conn.close()


@contextmanager
def password_checked(server: WarehouseLocation, roles: list[str]) -> Iterator[None]:
    """While inside, ``roles`` must authenticate with their password (embedded server only; a
    ``WAREHOUSE_URL`` server is left as configured — it is expected to check passwords already)."""
    if not server.embedded:
        yield
        return
    hba = Path(_server_setting(server, "hba_file"))
    original = hba.read_text()
    rules = "".join(
        f"local all {role} scram-sha-256\nhost all {role} 127.0.0.1/32 scram-sha-256\n" for role in roles
    )
    # Written in place (not replaced): the file keeps its owner, the server's OS user.
    with hba.open("w") as handle:
        handle.write(rules + original)
    try:
        _reload(server)
        yield
    finally:
        with hba.open("w") as handle:
            handle.write(original)
        _reload(server)


def create_login_role(server: WarehouseLocation, role: str, password: str, *, superuser: bool) -> None:
    conn = connect(server.with_database("postgres"), autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(
                sql.SQL("create role {} login {} password {}").format(
                    sql.Identifier(role), sql.SQL("superuser" if superuser else ""), sql.Literal(password)
                )
            )
    finally:
        conn.close()


def as_role(location: WarehouseLocation, role: str, password: str) -> WarehouseLocation:
    return WarehouseLocation(location.host, location.port, role, password, location.database, False)
