"""REST methods, one module per family; each registers its handlers in :data:`REGISTRY` by lower-case name.

This package's own module holds only what the families share; server/service.py imports the families (so
the package never imports its own modules back).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bitrix24_emulator.server.auth import Credential
from bitrix24_emulator.server.params import Params
from bitrix24_emulator.server.tables import PortalState


@dataclass(frozen=True)
class MethodOptions:
    """Method behaviours a test may switch away from the vendor's (the defaults follow the vendor's code)."""

    # crm.timeline.comment.list: the vendor's code reads only ENTITY_ID / ENTITY_TYPE from the filter and
    # ignores every other key, ``>ID`` included (docs/bitrix24-api.md, "crm.timeline.comment.list"). True
    # applies the whole filter, as the docs before 2026 described the method.
    comment_list_full_filter: bool = False


@dataclass
class Call:
    method: str
    params: Params
    state: PortalState
    credential: Credential
    seed: int  # per-request seed: makes "no guaranteed order" differ between requests, reproducibly
    options: MethodOptions = field(default_factory=MethodOptions)
    now: float = 0.0  # the portal clock at the call (what the messenger stamps on a delivery)


@dataclass
class Result:
    """A method's answer plus what the cost model needs (rows scanned, whether a COUNT ran)."""

    result: Any
    total: int | None = None
    next: int | None = None
    rows: int = 0
    scanned: int = 0
    counted: bool = False


Handler = Callable[[Call], Result]
REGISTRY: dict[str, Handler] = {}


def rest_method(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        REGISTRY[name.lower()] = handler
        return handler

    return register
