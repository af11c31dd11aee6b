"""Where the warehouse is: ``WAREHOUSE_URL`` if set, otherwise the embedded server.

One :class:`WarehouseLocation` gives every consumer the form it needs: a libpq URI for psycopg2,
keyword parts for the dbt profile, and a ``postgresql+psycopg2://`` URL for Dagster's run storage
(SQLAlchemy 2.1 would otherwise pick psycopg 3 and run storage breaks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit, urlunsplit

from orchestration.paths import DATA_DIR
from orchestration.runtime.embedded_postgres import start_embedded

WAREHOUSE_URL_ENV = "WAREHOUSE_URL"
WAREHOUSE_DATABASE = "b24ops"
DAGSTER_DATABASE = "dagster"
# The connection settings dbt_project/profiles.yml reads from the environment, in dbt_env's order.
DBT_ENV_NAMES = (
    "B24OPS_PG_HOST",
    "B24OPS_PG_PORT",
    "B24OPS_PG_USER",
    "B24OPS_PG_PASSWORD",
    "B24OPS_PG_DATABASE",
)


class WarehouseConfigError(ValueError):
    """The warehouse URL cannot be used as given."""


@dataclass(frozen=True)
class WarehouseLocation:
    """A PostgreSQL database reachable by libpq (TCP host or Unix-socket directory)."""

    host: str
    port: int
    user: str
    password: str = field(repr=False)  # a traceback, a log line or pytest's output shows the rest only
    database: str
    embedded: bool

    @classmethod
    def from_url(cls, url: str, *, embedded: bool = False) -> WarehouseLocation:
        parts = urlsplit(url)
        scheme = parts.scheme.split("+", 1)[0]
        if scheme not in {"postgresql", "postgres"}:
            raise WarehouseConfigError(
                f"{WAREHOUSE_URL_ENV} must start with postgresql:// (got scheme {parts.scheme or 'none'!r})"
            )
        query = parse_qs(parts.query)
        host = query.get("host", [parts.hostname or ""])[0]
        database = unquote(parts.path.lstrip("/")) or "postgres"
        return cls(
            host=host or "localhost",
            port=int(query.get("port", [parts.port or 5432])[0]),
            user=unquote(parts.username or "postgres"),
            password=unquote(parts.password or ""),
            database=database,
            embedded=embedded,
        )

    def with_database(self, database: str) -> WarehouseLocation:
        return WarehouseLocation(self.host, self.port, self.user, self.password, database, self.embedded)

    @property
    def is_socket(self) -> bool:
        return self.host.startswith("/")

    def libpq_url(self, *, driver: str = "postgresql") -> str:
        """A URL usable by psycopg2 (``driver='postgresql'``) or SQLAlchemy (``'postgresql+psycopg2'``).

        User, password and database are percent-encoded (every character but letters, digits and
        ``_.-~``): ``from_url`` decoded them, and a raw ``@ : / % # ?`` would cut the URL elsewhere —
        SQLAlchemy then fails parsing a piece of the password as the port and prints it.
        """
        return self._url(driver, _encoded(self.password))

    def redacted(self) -> str:
        """The URL with the password masked: the only form that may appear in logs and errors."""
        return self._url("postgresql", "***" if self.password else "")

    def _url(self, driver: str, password: str) -> str:
        auth = _encoded(self.user) + (f":{password}" if password else "")
        path = f"/{_encoded(self.database)}"
        if self.is_socket:
            query = urlencode({"host": self.host, "port": self.port})
            return urlunsplit((driver, f"{auth}@", path, query, ""))
        host = f"[{self.host}]" if ":" in self.host else self.host  # an IPv6 address
        return urlunsplit((driver, f"{auth}@{host}:{self.port}", path, "", ""))

    def dbt_env(self) -> dict[str, str]:
        """Environment variables read by ``dbt_project/profiles.yml`` (names: DBT_ENV_NAMES)."""
        values = (self.host, str(self.port), self.user, self.password, self.database)
        return dict(zip(DBT_ENV_NAMES, values, strict=True))


def _encoded(part: str) -> str:
    return quote(part, safe="")


def _configured(url: str | None, setting: str) -> str:
    """``url`` as the caller was handed it, else the setting read now (scripts, tests)."""
    if url is not None:
        return url
    from orchestration.settings import load_settings  # pydantic: not for `b24ops --help` (cli/__init__)

    return load_settings().reveal(setting)


def resolve_warehouse(url: str | None = None, data_dir: Path = DATA_DIR) -> WarehouseLocation:
    """The warehouse at ``url`` (``WAREHOUSE_URL``), or the embedded server, started, when it is empty.

    Does not connect; :func:`orchestration.warehouse.bootstrap.ensure_warehouse` does that.
    """
    url = _configured(url, "warehouse_url")
    if url:
        return WarehouseLocation.from_url(url)
    server = WarehouseLocation.from_url(start_embedded(data_dir), embedded=True)
    return server.with_database(WAREHOUSE_DATABASE)


def resolve_dagster_storage(warehouse: WarehouseLocation, url: str | None = None) -> WarehouseLocation:
    """Dagster's run storage: ``url`` (``DAGSTER_STORAGE_URL``), else a ``dagster`` database beside the
    warehouse."""
    url = _configured(url, "dagster_storage_url")
    if url:
        return WarehouseLocation.from_url(url)
    if warehouse.embedded:
        return warehouse.with_database(DAGSTER_DATABASE)
    return warehouse
