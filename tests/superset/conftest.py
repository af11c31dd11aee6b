"""Fixtures for the Superset tests: a throw-away read-only role (roles are global to the server)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orchestration.warehouse.location import WarehouseLocation
from tests.superset.roles import drop_role, unique_role_name


@pytest.fixture
def readonly_role_name(fresh_database: WarehouseLocation) -> Iterator[str]:
    """A unique role name, so a test never touches the development role or another test's."""
    role = unique_role_name()
    yield role
    drop_role(fresh_database, role)
