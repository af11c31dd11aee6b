"""What the portal's messenger received: every notification and chat message the im.* methods delivered.

The emulated portal keeps them in order (the *outbox* of whoever called), so a test reads exactly what each
employee got and when (the portal clock's instant of the call). Chats exist only when a test adds them:
the generator models a sales department, not its conversations.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Delivered:
    """One notification (``kind`` ``notify``) or chat/dialogue message (``kind`` ``message``)."""

    id: int
    kind: Literal["notify", "message"]
    method: str
    dialog_id: str  # the recipient's user id for notifications and personal dialogues, ``chatN`` for chats
    from_user_id: int  # 0 for a system notification (docs/bitrix24-api.md § im.notify.system.add)
    message: str
    message_out: str
    tag: str
    sent_at: float  # unix seconds, the portal's clock

    @property
    def user_id(self) -> int | None:
        return int(self.dialog_id) if self.dialog_id.isdigit() else None


@dataclass
class Chat:
    chat_id: int
    writable: bool = True  # False: the caller may not post (403 ACCESS_ERROR)


@dataclass
class Messenger:
    outbox: list[Delivered] = field(default_factory=list)
    chats: dict[int, Chat] = field(default_factory=dict)
    _next_notify: int = 12000
    _next_message: int = 34000
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, **fields: object) -> Delivered:
        with self._lock:
            if fields["kind"] == "notify":
                self._next_notify += 1
                ident = self._next_notify
            else:
                self._next_message += 1
                ident = self._next_message
            item = Delivered(id=ident, **fields)  # type: ignore[arg-type]
            self.outbox.append(item)
            return item

    def drop_tagged(self, dialog_id: str, tag: str) -> None:
        """A notification with an application's tag replaces that recipient's earlier ones with the tag."""
        with self._lock:
            self.outbox[:] = [d for d in self.outbox if not (d.tag == tag and d.dialog_id == dialog_id)]

    def sent(self) -> list[Delivered]:
        with self._lock:
            return list(self.outbox)
