"""``batch``: up to 50 sub-calls in one request, with ``$result[...]`` references between them.

Facts: docs/bitrix24-api.md § batch.

Behaviour follows the product source rather than the docs table: the call is HTTP 200 whatever the
sub-calls do; commands past the 50th are not run and each gets ``ERROR_BATCH_LENGTH_EXCEEDED`` in
``result_error``; a nested ``batch`` gets ``ERROR_BATCH_METHOD_NOT_ALLOWED``; ``halt`` stops after the
first failing command. A reference that is the whole parameter value is replaced by the resolved value
(an array too); embedded in a longer string it is replaced only by a string; a path segment that does
not exist stops resolution at the deepest value found.
"""

from __future__ import annotations

import re
from typing import Any

from bitrix24_emulator.server.auth import Credential
from bitrix24_emulator.server.envelope import RestError, time_block
from bitrix24_emulator.server.params import Params, parse_query
from bitrix24_emulator.server.service import CutOff, Service

MAX_COMMANDS = 50
_REF = re.compile(r"\$(result|next|total|time|error)((?:\[[^\]]*\])+)")
_SEGMENT = re.compile(r"\[([^\]]*)\]")


def _resolve(maps: dict[str, dict[str, Any]], name: str, path: str) -> tuple[bool, Any]:
    segments = _SEGMENT.findall(path)
    node: Any = maps[name]
    if segments[0] not in node:
        return False, None
    for segment in segments:
        if isinstance(node, dict) and segment in node:
            node = node[segment]
        elif isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
            node = node[int(segment)]
        else:
            break
    return True, node


def substitute(value: Any, maps: dict[str, dict[str, Any]]) -> Any:
    """Replace ``$result[key][...]``-style references inside one sub-call's parameters."""
    if isinstance(value, dict):
        return {k: substitute(v, maps) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, maps) for v in value]
    if not isinstance(value, str) or "$" not in value:
        return value
    whole = _REF.fullmatch(value)
    if whole:
        found, resolved = _resolve(maps, whole.group(1), whole.group(2))
        return resolved if found else value

    def embed(match: re.Match[str]) -> str:
        found, resolved = _resolve(maps, match.group(1), match.group(2))
        return resolved if found and isinstance(resolved, str) else match.group(0)

    return _REF.sub(embed, value)


def _as_php_array(mapping: dict[str, Any], listed: bool) -> Any:
    """A list-form ``cmd`` yields PHP int keys: JSON lists when they are 0..n-1 without gaps."""
    if listed and list(mapping) == [str(i) for i in range(len(mapping))]:
        return list(mapping.values())
    return mapping


def run_batch(service: Service, raw: dict[str, Any], credential: Credential) -> dict[str, Any]:
    params = Params(raw)
    cmd = params.get("cmd")
    listed = isinstance(cmd, list)
    items = list(enumerate(cmd)) if listed else list(cmd.items()) if isinstance(cmd, dict) else []
    halt = str(params.get("halt", default="0")).strip().lower() in ("1", "true", "y")
    bill_as = "batch" if service.config.limits.batch_billing == "batch" else None
    maps: dict[str, dict[str, Any]] = {"result": {}, "error": {}, "total": {}, "next": {}, "time": {}}
    started = service.clock.now()
    spent = 0.0
    for number, (raw_key, command) in enumerate(items):
        key = str(raw_key)
        if number >= MAX_COMMANDS:
            maps["error"][key] = {
                "error": "ERROR_BATCH_LENGTH_EXCEEDED",
                "error_description": "Max batch length exceeded",
            }
        else:
            method, _, query = str(command).partition("?")
            method = method.strip().lower().removesuffix(".json")
            try:
                if method == "batch":
                    raise RestError(
                        405, "ERROR_BATCH_METHOD_NOT_ALLOWED", "Method is not allowed for batch usage"
                    )
                timed = service.execute(method, substitute(parse_query(query), maps), credential, bill_as)
            except CutOff:
                raise
            except RestError as error:
                maps["error"][key] = error.body()
            else:
                spent += timed.cost
                if spent > service.config.limits.request_cap_s:
                    raise CutOff(service.config.limits.request_cap_s)
                maps["result"][key] = timed.result.result
                if timed.result.total is not None:
                    maps["total"][key] = timed.result.total
                if timed.result.next is not None:
                    maps["next"][key] = timed.result.next
                maps["time"][key] = timed.time
        if key in maps["error"]:
            service.counters.error(maps["error"][key]["error"])
            if halt:
                break
    service.counters.call("batch", 0, 0.0)
    used, reset_at = service.budget.status(credential.key, "batch")
    finished = max(service.clock.now(), started + spent)
    return {
        "result": {
            "result": _as_php_array(maps["result"], listed),
            "result_error": _as_php_array(maps["error"], listed),
            "result_total": _as_php_array(maps["total"], listed),
            "result_next": _as_php_array(maps["next"], listed),
            "result_time": _as_php_array(maps["time"], listed),
        },
        "time": time_block(
            started + service.portal_offset,
            finished + service.portal_offset,
            spent,
            service.state.zone,
            used,
            reset_at,
        ),
    }
