"""The emulated portal's REST server: protocol, limits, faults, counters and live mode.

Entry points: :class:`Emulator` (serve a :class:`~bitrix24_emulator.model.PortalData` on loopback) and
``bitrix24_emulator.testing.running_emulator`` for tests.
"""

from bitrix24_emulator.server.auth import Webhook
from bitrix24_emulator.server.clock import ManualClock, SystemClock
from bitrix24_emulator.server.faults import Faults
from bitrix24_emulator.server.hostile import Hostile, HostileCase
from bitrix24_emulator.server.limits import Limits
from bitrix24_emulator.server.methods import MethodOptions
from bitrix24_emulator.server.runtime import Emulator
from bitrix24_emulator.server.service import ServerConfig

__all__ = [
    "Emulator",
    "Faults",
    "Hostile",
    "HostileCase",
    "Limits",
    "ManualClock",
    "MethodOptions",
    "ServerConfig",
    "SystemClock",
    "Webhook",
]
