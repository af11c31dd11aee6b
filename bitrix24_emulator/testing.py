"""Test helper: serve a portal on loopback for the duration of a ``with`` block.

``fast=True`` (the default for tests) switches the rate limit, the operating budget and simulated
latency OFF — costs are still computed and counted. Pass ``limits=`` to test a limit (with a
``ManualClock`` so nothing sleeps), ``faults=`` to inject faults, ``live_rate=`` for live mode.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from bitrix24_emulator.model import PortalData
from bitrix24_emulator.server import Emulator, Faults, Limits, ServerConfig
from bitrix24_emulator.server.clock import Clock
from bitrix24_emulator.server.methods.users import HIDDEN_USER_TYPES


@contextmanager
def running_emulator(
    portal: PortalData,
    *,
    fast: bool = True,
    faults: Faults | None = None,
    live_rate: float = 0.0,
    https: bool = False,
    limits: Limits | None = None,
    clock: Clock | None = None,
    plan: str = "standard",
    **config: Any,
) -> Iterator[Emulator]:
    """Yield a started :class:`Emulator` (``webhook_url``, ``base_url``, ``portal``, ``counters``)."""
    chosen = limits or (Limits.off() if fast else Limits.cloud(plan))
    server_config = ServerConfig(limits=chosen, faults=faults or Faults(), **config)
    with Emulator(portal, server_config, clock=clock, https=https, live_rate=live_rate) as emulator:
        yield emulator


def listed_by_user_get(user: Mapping[str, Any]) -> bool:
    """Whether user.get lists this row of the portal's ``users`` table: it leaves out bots and the other
    users that are not real ones, whom the table keeps because activities name them
    (docs/bitrix24-api.md § user.get)."""
    return user.get("USER_TYPE") not in HIDDEN_USER_TYPES


def listed_users(portal: PortalData) -> list[dict[str, Any]]:
    """The rows of ``portal``'s ``users`` table that user.get lists."""
    users = portal.tables["users"]
    return [user for user in map(users.as_dict, users.rows) if listed_by_user_get(user)]
