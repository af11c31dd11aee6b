"""``app.info``: the calling application and the portal's language (``LANGUAGE_ID``).

Vendor page ``api-reference/common/system/app-info.md``: any user, scope ``basic``, no parameters; called
outside an application's context (an incoming webhook) it answers HTTP 400 ``ACCESS_DENIED`` "Access denied!
Application context required". The emulator's one application is its OAuth app (``local.emulator``): a
local application, status ``L``, installed, free of payment.
"""

from __future__ import annotations

from bitrix24_emulator.server.envelope import RestError
from bitrix24_emulator.server.methods import Call, Result, rest_method

APPLICATION_PREFIX = "app:"  # the key of an OAuth credential (server/auth.py); webhooks' start "webhook:"


@rest_method("app.info")
def app_info(call: Call) -> Result:
    if not call.credential.key.startswith(APPLICATION_PREFIX):
        raise RestError(400, "ACCESS_DENIED", "Access denied! Application context required")
    language = call.state.portal.language
    return Result(
        {
            "ID": 1,
            "CODE": call.credential.key.removeprefix(APPLICATION_PREFIX),
            "VERSION": 1,
            "STATUS": "L",
            "INSTALLED": True,
            "PAYMENT_EXPIRED": "N",
            "DAYS": None,
            "LANGUAGE_ID": language,
            "LICENSE": f"{language}_ent250",
            "LICENSE_TYPE": "ent250",
            "LICENSE_FAMILY": "ent",
        },
        rows=1,
    )
