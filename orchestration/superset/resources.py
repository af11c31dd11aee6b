"""The Superset instance the pipeline provisions, as a Dagster resource.

Passwords reach it through ``dg.EnvVar`` (``SUPERSET_ADMIN_PASSWORD``, ``SUPERSET_DB_PASSWORD``); left
empty, the ones generated for the local installation under ``.data/superset/`` are used (generated on
first use, never logged).
"""

from __future__ import annotations

import dagster as dg

from orchestration.i18n import SOURCE_LANGUAGE
from orchestration.settings import Settings
from orchestration.superset.provision import SupersetTarget
from orchestration.superset.settings import (
    ADMIN_PASSWORD_FILE,
    DEFAULT_ADMIN_USER,
    DEFAULT_READONLY_USER,
    READONLY_PASSWORD_FILE,
    LocalSuperset,
    stored_secret,
)


class SupersetResource(dg.ConfigurableResource):
    """Where Superset is and who provisions it. Empty passwords mean the local generated ones."""

    url: str
    admin_user: str = DEFAULT_ADMIN_USER
    admin_password: str = ""
    readonly_role: str = DEFAULT_READONLY_USER
    readonly_password: str = ""
    language: str = "en"  # the dashboards' labels (B24OPS_LANGUAGE)

    def target(self) -> SupersetTarget:
        return SupersetTarget(
            url=self.url,
            admin_user=self.admin_user,
            admin_password=self.admin_password or stored_secret(None, ADMIN_PASSWORD_FILE).value,
            readonly_role=self.readonly_role,
            readonly_password=self.readonly_password or stored_secret(None, READONLY_PASSWORD_FILE).value,
            language=self.language,
        )


def superset_resource(settings: Settings) -> SupersetResource:
    """The resource as ``settings`` configure it (``SUPERSET_URL``, else the local installation's)."""
    return SupersetResource(
        url=settings.superset_url or LocalSuperset(settings=settings).url,
        admin_user=settings.superset_admin_user,
        admin_password=settings.dagster_config("superset_admin_password"),
        readonly_role=settings.superset_db_user,
        readonly_password=settings.dagster_config("superset_db_password"),
        language=settings.language or SOURCE_LANGUAGE,
    )
