"""``im.notify.system.add``, ``im.notify.personal.add``, ``im.notify`` and ``im.message.add`` (scope ``im``),
as the vendor's ``CIMRestService::notifyAdd`` / ``messageAdd`` validate and answer them
(docs/bitrix24-api.md § im.notify.system.add, § im.message.add). What they deliver goes to the portal's
:class:`~bitrix24_emulator.server.messenger.Messenger`.
"""

from __future__ import annotations

import re
from typing import Any

from bitrix24_emulator.server.envelope import RestError
from bitrix24_emulator.server.methods import Call, Result, rest_method
from bitrix24_emulator.server.params import php_int

# recipients the vendor refuses besides unknown and inactive users (CIMMessenger::Add: replica, guest)
_BLOCKED_USER_TYPES = frozenset({"replica", "guest"})


def _recipient_exists(call: Call, user_id: int) -> bool:
    """An active user the messenger may write to (the vendor's b_user look-up with ACTIVE = Y)."""
    users = call.state.table("users")
    row = users.get(user_id) if users is not None else None
    if row is None:
        return False
    user = users.table.as_dict(row)
    return user.get("ACTIVE") in (True, "Y") and user.get("USER_TYPE") not in _BLOCKED_USER_TYPES


def _text(call: Call, name: str) -> str:
    value = call.params.get(name, default="")
    return value.strip() if isinstance(value, str) else ""


def _notify(call: Call, kind: str) -> Result:
    raw = call.params
    user_id = php_int(raw.get("TO") if raw.get("TO") is not None else raw.get("USER_ID", default=0))
    if user_id <= 0:
        raise RestError(400, "USER_ID_EMPTY", "User ID can't be empty")
    message = _text(call, "MESSAGE")
    if not message:
        raise RestError(400, "MESSAGE_EMPTY", "Message can't be empty")
    if not _recipient_exists(call, user_id):
        # the vendor answers a success envelope with result false (CIMMessenger::Add returns false)
        return Result(result=False)
    # tags count only for an application's call; a webhook carries none (docs/bitrix24-api.md, Discrepancy 21)
    tag = str(raw.get("TAG", default="")) if call.credential.key.startswith("app:") else ""
    if tag:
        call.state.messenger.drop_tagged(str(user_id), tag)
    item = call.state.messenger.record(
        kind="notify",
        method=call.method,
        dialog_id=str(user_id),
        from_user_id=0 if kind == "SYSTEM" else call.credential.user_id,
        message=message,
        message_out=_text(call, "MESSAGE_OUT"),
        tag=tag,
        sent_at=call.now,
    )
    return Result(result=item.id, rows=1)


@rest_method("im.notify.system.add")
def notify_system_add(call: Call) -> Result:
    return _notify(call, "SYSTEM")


@rest_method("im.notify.personal.add")
def notify_personal_add(call: Call) -> Result:
    return _notify(call, "USER")


@rest_method("im.notify")
def notify(call: Call) -> Result:
    kind = str(call.params.get("TYPE", default="USER"))
    return _notify(call, kind if kind in ("USER", "SYSTEM") else "USER")


_CHAT = re.compile(r"^chat(\d+)$")


@rest_method("im.message.add")
def message_add(call: Call) -> Result:
    raw = call.params
    message: Any = raw.get("MESSAGE")
    attach = raw.get("ATTACH")
    if message is not None:
        if not isinstance(message, str):
            raise RestError(400, "MESSAGE_EMPTY", "Wrong message type")
        message = message.strip()
        if not message and not attach:
            raise RestError(400, "MESSAGE_EMPTY", "Message can't be empty")
    elif attach is None:
        raise RestError(400, "MESSAGE_EMPTY", "Message can't be empty")
    dialog = str(raw.get("DIALOG_ID", default=""))
    chat = _CHAT.match(dialog)
    if chat:
        found = call.state.messenger.chats.get(int(chat.group(1)))
        if found is None:
            raise RestError(400, "PARAMS_ERROR", "Message isn't added")
        if not found.writable:
            raise RestError(403, "ACCESS_ERROR", "It is forbidden to send messages to this chat")
        dialog_id = f"chat{found.chat_id}"
    elif dialog:
        user_id = php_int(dialog)
        if user_id <= 0:
            raise RestError(400, "USER_ID_EMPTY", "User ID can't be empty")
        if not _recipient_exists(call, user_id):
            raise RestError(400, "USER_NOT_FOUND", "User not found")
        dialog_id = str(user_id)
    else:
        raise RestError(400, "PARAMS_ERROR", "Incorrect params")
    item = call.state.messenger.record(
        kind="message",
        method=call.method,
        dialog_id=dialog_id,
        from_user_id=call.credential.user_id,
        message=message or "",
        message_out="",
        tag="",
        sent_at=call.now,
    )
    return Result(result=item.id, rows=1)
