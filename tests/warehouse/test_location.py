"""Unit tests of warehouse URL handling (pure functions)."""

import pytest

from orchestration.warehouse.location import WarehouseConfigError, WarehouseLocation


def test_tcp_url_round_trips_and_feeds_dbt():
    location = WarehouseLocation.from_url("postgresql://bi:s3cret@db.example:6543/sales")
    assert (location.host, location.port, location.user, location.database) == (
        "db.example",
        6543,
        "bi",
        "sales",
    )
    assert location.libpq_url() == "postgresql://bi:s3cret@db.example:6543/sales"
    assert location.libpq_url(driver="postgresql+psycopg2").startswith("postgresql+psycopg2://")
    assert location.dbt_env()["B24OPS_PG_PASSWORD"] == "s3cret"


def test_socket_url_keeps_the_socket_directory():
    location = WarehouseLocation.from_url("postgresql://postgres:@/postgres?host=/work/.data/pg")
    assert location.is_socket and location.host == "/work/.data/pg"
    assert WarehouseLocation.from_url(location.libpq_url()) == location


def test_redacted_url_never_shows_the_password():
    location = WarehouseLocation.from_url("postgresql://bi:s3cret@db.example/sales")
    assert "s3cret" not in location.redacted()
    assert "***" in location.redacted()


def test_other_schemes_are_refused_with_a_clear_message():
    with pytest.raises(WarehouseConfigError, match="must start with postgresql://"):
        WarehouseLocation.from_url("mysql://root@localhost/db")
