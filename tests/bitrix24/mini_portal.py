"""A tiny list-and-batch portal for the paging tests, written independently of the client.

It parses ``cmd`` strings like PHP (url-decode, then bracket nesting), resolves ``$result[...]`` references
with the portal's fallback (a missing segment stops at the deepest existing value —
docs/bitrix24-api.md § batch) and pages like a legacy CRM list (50 rows, ``>ID`` filter, ``order``,
``start=-1`` → no ``total``). It serves one table of ids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from tests.bitrix24.scripted_portal import Reply, Seen, ok

PAGE = 50
_NAME = re.compile(r"^([^\[]+)((?:\[[^\]]*\])*)$")
_REF = re.compile(r"^\$result((?:\[[^\]]*\])+)$")


def php_parse(query: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        match = _NAME.match(name)
        assert match, name
        keys = [match.group(1), *re.findall(r"\[([^\]]*)\]", match.group(2))]
        node = out
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
    return out


def resolve(value: Any, results: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: resolve(v, results) for k, v in value.items()}
    match = _REF.match(value) if isinstance(value, str) else None
    if not match:
        return value
    node: Any = results
    for key in re.findall(r"\[([^\]]*)\]", match.group(1)):
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            break  # the portal's fallback: stop at the deepest existing value
    return node


@dataclass
class MiniPortal:
    ids: list[int]
    wrap: str | None = None  # "items" like crm.stagehistory.list
    upper_keys: bool = False  # FILTER/SORT/ORDER like voximplant.statistic.get
    command_faults: dict[int, dict[str, str]] = field(default_factory=dict)  # n-th sub-command → error
    commands_run: int = 0
    list_calls: list[dict[str, Any]] = field(default_factory=list)

    def page(self, params: dict[str, Any]) -> tuple[Any, dict[str, Any]] | dict[str, str]:
        self.list_calls.append(params)
        flt = params.get("FILTER" if self.upper_keys else "filter") or {}
        after = flt.get(">ID")
        if isinstance(after, list):  # an unresolved reference became an array: a meaningless filter
            after = None
        rows = [i for i in self.ids if after is None or after == "" or i > int(after)]
        start = int(params.get("start", 0))
        extra: dict[str, Any] = {}
        if start >= 0:
            rows = rows[start:]
            total = len([i for i in self.ids if after is None or i > int(after)])
            extra = {"total": total}
            if start + PAGE < total:
                extra["next"] = start + PAGE
        page = [{"ID": str(i), "TITLE": f"row {i}"} for i in rows[:PAGE]]
        return ({self.wrap: page} if self.wrap else page), extra

    def __call__(self, seen: Seen) -> Reply:
        if seen.method == "batch":
            return self.batch(seen.body)
        result, extra = self.page(seen.body)  # type: ignore[misc]
        return ok(result, **extra)

    def batch(self, body: dict[str, Any]) -> Reply:
        results: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        totals: dict[str, Any] = {}
        nexts: dict[str, Any] = {}
        for key, cmd in body["cmd"].items():
            self.commands_run += 1
            method, _, query = cmd.partition("?")
            if self.commands_run in self.command_faults:
                errors[key] = self.command_faults[self.commands_run]
            elif method not in (
                "crm.deal.list",
                "crm.stagehistory.list",
                "voximplant.statistic.get",
                "user.get",
            ):
                errors[key] = {"error": "ERROR_METHOD_NOT_FOUND", "error_description": "Method not found!"}
            else:
                params = resolve(php_parse(query), results)
                results[key], extra = self.page(params)  # type: ignore[misc]
                if "total" in extra:
                    totals[key] = extra["total"]
                if "next" in extra:
                    nexts[key] = extra["next"]
            if key in errors and str(body.get("halt")) in ("1", "true"):
                break
        return ok(
            {
                "result": results or [],
                "result_error": errors or [],
                "result_total": totals or [],
                "result_next": nexts or [],
                "result_time": [],
            }
        )
