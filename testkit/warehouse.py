"""Read a test's warehouse with one statement."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from orchestration.warehouse.bootstrap import connect
from orchestration.warehouse.location import WarehouseLocation


def query(
    location: WarehouseLocation, text: str, params: Sequence[Any] | Mapping[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    """The rows ``text`` returns on ``location``, on a connection of its own.

    psycopg2 reads ``%`` in ``text`` as a placeholder only when ``params`` is given (then a literal ``%`` is
    written ``%%``); without ``params`` the text runs as written."""
    conn = connect(location)
    try:
        with conn.cursor() as cur:
            cur.execute(text, params)
            return cur.fetchall()
    finally:
        conn.close()
