"""Provision Superset: the read-only warehouse role, then the dashboards bundle through the REST import.

The one function the Dagster asset, the CLI and the tests share, so what a test checks is what runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orchestration.superset.bundle import MASKED_PASSWORD, Bundle, render_bundle
from orchestration.superset.client import SupersetClient
from orchestration.superset.readonly_role import ensure_readonly_role, readonly_location
from orchestration.warehouse.location import WarehouseLocation


@dataclass(frozen=True)
class SupersetTarget:
    """A Superset instance and the credentials provisioning uses (the passwords are never logged)."""

    url: str
    admin_user: str
    admin_password: str
    readonly_role: str
    readonly_password: str
    language: str = "en"  # the labels the dashboards are provisioned with


def superset_database_uri(warehouse: WarehouseLocation, role: str) -> str:
    """The read-only connection as Superset stores it: the password masked, sent separately."""
    return readonly_location(warehouse, role, MASKED_PASSWORD).libpq_url(driver="postgresql+psycopg2")


def provision_superset(warehouse: WarehouseLocation, target: SupersetTarget, manifest_path: Path) -> Bundle:
    """Create/update the read-only role, render the bundle in the target's language and import it
    (overwriting: provisioning in another language relabels the same dashboards). Returns the bundle."""
    ensure_readonly_role(warehouse, target.readonly_role, target.readonly_password)
    bundle = render_bundle(
        superset_database_uri(warehouse, target.readonly_role),
        target.readonly_password,
        manifest_path,
        language=target.language,
    )
    client = SupersetClient(target.url, target.admin_user, target.admin_password)
    client.import_bundle(bundle.to_zip(), bundle.passwords())
    return bundle
