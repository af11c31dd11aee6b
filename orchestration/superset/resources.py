"""The Superset instance the pipeline provisions, as a Dagster resource.

Passwords reach it through ``dg.EnvVar`` (``SUPERSET_ADMIN_PASSWORD``, ``SUPERSET_DB_PASSWORD``); left
empty, the ones generated for the local installation under ``.data/superset/`` are used (generated on
first use, never logged).
"""

from __future__ import annotations

import os

import dagster as dg

from orchestration.superset.provision import SupersetTarget
from orchestration.superset.settings import (
    ADMIN_PASSWORD_ENV,
    DEFAULT_ADMIN_USER,
    DEFAULT_READONLY_USER,
    READONLY_PASSWORD_ENV,
    URL_ENV,
    LocalSuperset,
    readonly_credentials,
)


class SupersetResource(dg.ConfigurableResource):
    """Where Superset is and who provisions it. Empty passwords mean the local generated ones."""

    url: str = ""
    admin_user: str = DEFAULT_ADMIN_USER
    admin_password: str = ""
    readonly_role: str = DEFAULT_READONLY_USER
    readonly_password: str = ""

    def target(self) -> SupersetTarget:
        local = LocalSuperset.from_env()
        _, generated_readonly = readonly_credentials(local.data_dir)
        return SupersetTarget(
            url=self.url or local.url,
            admin_user=self.admin_user,
            admin_password=self.admin_password or local.admin_password().value,
            readonly_role=self.readonly_role,
            readonly_password=self.readonly_password or generated_readonly.value,
        )


def superset_resource() -> SupersetResource:
    """The resource configured from the environment, secrets through ``dg.EnvVar``."""

    def secret(name: str) -> str | dg.EnvVar:
        return dg.EnvVar(name) if os.environ.get(name) else ""

    return SupersetResource(
        url=os.environ.get(URL_ENV, ""),
        admin_user=os.environ.get("SUPERSET_ADMIN_USER", DEFAULT_ADMIN_USER),
        admin_password=secret(ADMIN_PASSWORD_ENV),
        readonly_role=os.environ.get("SUPERSET_DB_USER", DEFAULT_READONLY_USER),
        readonly_password=secret(READONLY_PASSWORD_ENV),
    )
