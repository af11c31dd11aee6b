"""Where an OAuth app's rotated tokens live between runs.

Every refresh invalidates the old refresh token (docs/bitrix24-api.md § Authentication), so the pair the token
server returns must be on disk before anything else can go wrong; a lost one means re-authorising the app by
hand. The file is a small JSON document, readable by its owner only (0600), replaced atomically so a crash
mid-write leaves the previous pair intact. Its content is never logged and never put into an exception
message.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from orchestration.bitrix24.auth import OAuthTokens
from orchestration.paths import DATA_DIR

# Where the pair lives unless B24_OAUTH_TOKEN_STORE says otherwise (Bitrix24Resource.token_store_path).
DEFAULT_TOKEN_STORE = DATA_DIR / "bitrix24-oauth.json"


class TokenStore:
    """The last token pair of one portal's OAuth app; ``save`` is the client's ``on_token_rotate``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> OAuthTokens | None:
        """The stored pair, or ``None`` when nothing was stored yet."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise ValueError(f"unreadable OAuth token store {self.path} ({type(exc).__name__})") from None
        if not isinstance(data, dict) or not data.get("refresh_token") or not data.get("client_endpoint"):
            raise ValueError(f"OAuth token store {self.path} lacks client_endpoint or refresh_token")
        expires_at = data.get("expires_at")
        return OAuthTokens(
            client_endpoint=str(data["client_endpoint"]),
            access_token=str(data.get("access_token") or ""),
            refresh_token=str(data["refresh_token"]),
            expires_at=float(expires_at) if isinstance(expires_at, int | float) else None,
        )

    def save(self, tokens: OAuthTokens) -> None:
        """Write the pair to a 0600 temporary file next to the store, then rename it over the store."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "client_endpoint": tokens.client_endpoint,
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "expires_at": tokens.expires_at,
        }
        # mkstemp creates the file 0600: the secret is never readable by others, not even briefly.
        fd, temporary = tempfile.mkstemp(prefix=".oauth-", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(payload, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, 0o600)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def __repr__(self) -> str:
        return f"TokenStore({str(self.path)!r})"
