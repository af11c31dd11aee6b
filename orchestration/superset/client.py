"""Superset's REST API, the few calls provisioning needs: log in, CSRF token, import a bundle, count assets.

Any non-2xx answer raises :class:`SupersetApiError` with Superset's own message (which names the file
of the bundle it rejected), so the Dagster asset fails loudly instead of leaving stale dashboards.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import requests

TIMEOUT_S = 120.0


class SupersetApiError(RuntimeError):
    """Superset answered with an error; the message is Superset's own (passwords are never in it)."""


class SupersetClient:
    """A logged-in session on one Superset instance (bearer token + CSRF token + session cookie)."""

    def __init__(self, url: str, username: str, password: str) -> None:
        self.url = url.rstrip("/")
        self.session = requests.Session()
        # With `Accept: */*` Superset answers a failed command with an HTML page and no reason at all.
        self.session.headers["Accept"] = "application/json"
        token = self._json(
            "post",
            "/api/v1/security/login",
            json={
                "username": username,
                "password": password,
                "provider": "db",
                "refresh": False,
            },
        )["access_token"]
        self.session.headers["Authorization"] = f"Bearer {token}"
        # The CSRF token is bound to the session cookie set by this call; both go with every write.
        self.session.headers["X-CSRFToken"] = self._json("get", "/api/v1/security/csrf_token/")["result"]
        self.session.headers["Referer"] = self.url

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self.session.request(method, f"{self.url}{path}", timeout=TIMEOUT_S, **kwargs)
        except requests.RequestException as exc:
            raise SupersetApiError(
                f"{method.upper()} {path}: Superset at {self.url} unreachable: {exc}"
            ) from None
        if not response.ok:
            hint = " (the reason is in the Superset server log)" if response.status_code >= 500 else ""
            raise SupersetApiError(
                f"{method.upper()} {path} → HTTP {response.status_code}: {_message(response)}{hint}"
            )
        return response.json()

    def import_bundle(self, bundle: bytes, passwords: Mapping[str, str]) -> None:
        """Import (overwriting) every asset of a ZIP bundle; ``passwords``: database file → password.

        Superset 6.1 answers a rejected bundle with HTTP 500 "Import failed for an unknown reason"; the
        file and field it rejected are only in its server log ("Schema validation failed for ...").
        """
        self._json(
            "post",
            "/api/v1/assets/import/",
            files={"bundle": ("bundle.zip", bundle, "application/zip")},
            data={"passwords": json.dumps(dict(passwords))},
        )

    def count(self, resource: str) -> int:
        """How many ``chart``, ``dataset``, ``dashboard`` or ``database`` objects exist."""
        return int(self._json("get", f"/api/v1/{resource}/", params={"q": "(page_size:1)"})["count"])


def _message(response: requests.Response) -> str:
    """Superset's error text: ``message`` or ``errors[].message`` of its JSON, else the body's start."""
    try:
        body = response.json()
    except ValueError:
        # an HTML error page (500): its stack trace is in Superset's log, not in the answer
        return f"{response.reason} (not JSON; see the Superset server log)"
    if isinstance(body, dict):
        if body.get("errors"):
            return "; ".join(
                f"{error.get('message', '')} {json.dumps(error.get('extra', {}))[:1500]}"
                for error in body["errors"]
            )
        if "message" in body:
            return json.dumps(body["message"]) if not isinstance(body["message"], str) else body["message"]
    return json.dumps(body)[:1500]
