"""Request parameters the way the portal's PHP front end sees them.

Bitrix24 merges the query string and the body (body wins on a key clash), parses JSON only for
``Content-Type: application/json`` (an unparsable body is silently *no* parameters), and builds
nested arrays from PHP bracket keys (``filter[>ID]=10&select[]=ID``). Parameter names are
case-insensitive for the methods we emulate (``filter``/``FILTER``/``arFilter``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

_BRACKET = re.compile(r"\[([^\]]*)\]")


def parse_php_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Build PHP-style nested arrays from ``key[a][]=v`` pairs; sequential int-keyed maps become lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        head, _, rest = key.partition("[")
        path = [head] + (_BRACKET.findall("[" + rest) if rest else [])
        node = root
        for i, part in enumerate(path):
            last = i == len(path) - 1
            if part == "":
                part = str(sum(1 for k in node if k.isdigit()))
            if last:
                node[part] = value
            else:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = {}
                    node[part] = child
                node = child
    return _listify(root)


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    out = {k: _listify(v) for k, v in node.items()}
    if out and list(out) == [str(i) for i in range(len(out))]:
        return list(out.values())
    return out


def parse_query(query: str) -> dict[str, Any]:
    return parse_php_pairs(parse_qsl(query, keep_blank_values=True))


def parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    """Body parameters by content type; anything unparsable is treated as no parameters (portal behaviour)."""
    media = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return {}
    if media == "application/json":
        try:
            data = json.loads(body)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    if media == "application/x-www-form-urlencoded":
        return parse_query(body.decode("utf-8", "replace"))
    if media == "multipart/form-data":
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        pairs = []
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name:
                pairs.append((str(name), part.get_content() if part.get_content_maintype() == "text" else ""))
        return parse_php_pairs(pairs)
    return {}


def merge(query: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """Query parameters overridden by body parameters, key by key (PHP ``array_merge`` of the two)."""
    return {**query, **body}


class Params:
    """Case-insensitive view of one call's parameters."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self._lower = {str(k).lower(): v for k, v in raw.items()}

    def get(self, *names: str, default: Any = None) -> Any:
        for name in names:
            if name.lower() in self._lower:
                return self._lower[name.lower()]
        return default

    def filter(self) -> Any:
        return self.get("filter", "arFilter")

    def select(self) -> Any:
        return self.get("select", "arSelect")

    def order(self) -> Any:
        return self.get("order", "arOrder")

    def start(self) -> int:
        """``start`` as an int; garbage reads as 0 like PHP's ``intval``."""
        return php_int(self.get("start", default=0))


def php_int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    match = re.match(r"\s*([+-]?\d+)", str(value))
    return int(match.group(1)) if match else 0


def as_list(value: Any) -> list[Any]:
    """A PHP array (list or int-keyed map) or a scalar as a Python list."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    return [value]
