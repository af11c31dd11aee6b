"""``b24ops check``: is the configuration usable? Each check says what is wrong and what to do.

The portal is probed with one cheap read per scope the reports need (``start=-1``: no COUNT on the
portal), so a webhook lacking one scope is named precisely instead of failing later mid-export.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestration.bitrix24 import (
    Bitrix24AuthError,
    Bitrix24Client,
    Bitrix24Error,
    Bitrix24ScopeError,
    Bitrix24UnreachableError,
    ClientSettings,
    redact,
)
from orchestration.settings import Settings
from orchestration.warehouse.bootstrap import WarehouseUnavailableError, ensure_warehouse
from orchestration.warehouse.location import WarehouseConfigError, resolve_warehouse

WEBHOOK_ENV = Settings.variable("webhook_url")

# scope → a cheap read that needs it
SCOPE_PROBES: dict[str, tuple[str, dict[str, object]]] = {
    "user": ("user.get", {"start": -1}),
    "department": ("department.get", {"start": -1}),
    "crm": ("crm.deal.list", {"select": ["ID"], "order": {"ID": "ASC"}, "start": -1}),
    "telephony": ("voximplant.statistic.get", {"SORT": "ID", "ORDER": "ASC", "start": -1}),
    "calendar": ("calendar.settings.get", {}),
}


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def check_warehouse(url: str) -> CheckResult:
    try:
        location = ensure_warehouse(resolve_warehouse(url))
    except WarehouseConfigError as exc:
        return CheckResult(
            "warehouse", False, str(exc), "set WAREHOUSE_URL=postgresql://user:password@host:5432/db"
        )
    except WarehouseUnavailableError as exc:
        return CheckResult(
            "warehouse",
            False,
            str(exc),
            "start that PostgreSQL, fix WAREHOUSE_URL, or unset it for the embedded one",
        )
    kind = "embedded" if location.embedded else "WAREHOUSE_URL"
    return CheckResult("warehouse", True, f"{location.redacted()} ({kind})")


def check_portal(url: str) -> list[CheckResult]:
    if not url:
        return [
            CheckResult(
                "portal",
                False,
                f"{WEBHOOK_ENV} is not set",
                f"export {WEBHOOK_ENV}=https://<portal>/rest/<user>/<secret>/",
            )
        ]
    try:
        # One quick try: `check` answers in seconds, the export itself retries patiently.
        client = Bitrix24Client(ClientSettings(webhook_url=url, max_retries=1, timeout_s=10))
    except ValueError:
        return [
            CheckResult(
                "portal",
                False,
                f"{WEBHOOK_ENV} is not a webhook URL: {redact(url)}",
                "copy the URL of an incoming webhook: https://<portal>/rest/<user>/<secret>/",
            )
        ]
    results = []
    for scope, (method, params) in SCOPE_PROBES.items():
        try:
            client.call(method, params)
        except Bitrix24UnreachableError as exc:
            return [
                CheckResult(
                    "portal", False, str(exc), "check the portal address in the webhook URL and the network"
                )
            ]
        except Bitrix24AuthError as exc:
            return [
                CheckResult(
                    "portal",
                    False,
                    str(exc),
                    "the webhook secret is wrong or the webhook was deleted: create a new one",
                )
            ]
        except Bitrix24ScopeError as exc:
            results.append(
                CheckResult(
                    f"scope {scope}", False, str(exc), f"edit the webhook and add the scope '{scope}'"
                )
            )
            continue
        except Bitrix24Error as exc:
            results.append(CheckResult(f"scope {scope}", False, str(exc), "see docs/troubleshooting.md"))
            continue
        results.append(CheckResult(f"scope {scope}", True, f"{method} answered"))
    return [CheckResult("portal", True, redact(url)), *results]


def run_checks(settings: Settings) -> list[CheckResult]:
    return [check_warehouse(settings.reveal("warehouse_url")), *check_portal(settings.reveal("webhook_url"))]
