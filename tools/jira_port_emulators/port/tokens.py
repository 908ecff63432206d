"""``POST /v1/auth/access_token`` and Bearer checks, with Port's one-active-token rule.

While a token is valid, asking again with the same credentials returns the *same* token with a
smaller ``expiresIn``; after it expires a new one is issued and the old one is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from jira_port_emulators.port.errors import ApiError, invalid


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenIssuer:
    """Issues and checks JWT-shaped machine tokens."""

    def __init__(
        self, client_id: str, client_secret: str, lifetime: float, clock: Callable[[], float] = time.time
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._key = secrets.token_bytes(32)
        self._credentials = {client_id: client_secret}
        self._roles = {client_id: "admin"}
        self.lifetime = lifetime
        self._active: dict[str, tuple[str, float]] = {}  # client id -> (token, expires at)
        self._expiry: dict[str, float] = {}  # token -> expires at
        self._owner: dict[str, str] = {}  # token -> client id

    def set_credentials(self, client_id: str, client_secret: str) -> None:
        """Replace every accepted credential by this one (a rotation); tokens already issued stay valid."""
        with self._lock:
            self._credentials = {client_id: client_secret}
            self._roles.setdefault(client_id, "admin")  # tokens of rotated-out credentials keep their role

    def add_credentials(self, client_id: str, client_secret: str, role: str = "admin") -> None:
        """Accept one more machine credential (another writer in the same organisation) with ``role``
        (``admin``, ``moderator`` or ``member``)."""
        with self._lock:
            self._credentials[client_id] = client_secret
            self._roles[client_id] = role

    def role(self, client_id: str) -> str:
        """The organisation role of ``client_id``'s credentials."""
        with self._lock:
            return self._roles.get(client_id, "member")

    def expire_all(self) -> None:
        """Make every issued token expired now."""
        with self._lock:
            self._active.clear()
            self._expiry = dict.fromkeys(self._expiry, 0.0)

    def issue(self, body: Any) -> dict[str, Any]:
        """Answer a token request (422 on a malformed body, 401 on wrong credentials)."""
        if not isinstance(body, dict) or set(body) != {"clientId", "clientSecret"}:
            raise invalid("body must have exactly the keys clientId and clientSecret")
        client_id, client_secret = body["clientId"], body["clientSecret"]
        if not isinstance(client_id, str) or not isinstance(client_secret, str):
            raise invalid("clientId and clientSecret must be strings")
        with self._lock:
            expected = self._credentials.get(client_id)
            if expected is None or not hmac.compare_digest(expected.encode(), client_secret.encode()):
                raise ApiError(401, "unauthorized", "invalid client credentials")
            now = self._clock()
            active = self._active.get(client_id)
            if active is None or active[1] <= now:
                active = (self._mint(client_id, now), now + self.lifetime)
                self._active[client_id] = active
                self._expiry[active[0]] = active[1]
                self._owner[active[0]] = client_id
            token, expires_at = active
        return {
            "ok": True,
            "accessToken": token,
            "expiresIn": math.ceil(expires_at - now),
            "tokenType": "Bearer",
        }

    def _mint(self, client_id: str, now: float) -> str:
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        claims = {"sub": client_id, "isMachine": True, "iat": int(now), "exp": math.ceil(now + self.lifetime)}
        payload = _b64(json.dumps({**claims, "jti": secrets.token_hex(8)}).encode())
        signature = _b64(hmac.new(self._key, f"{header}.{payload}".encode(), hashlib.sha256).digest())
        return f"{header}.{payload}.{signature}"

    def issued(self) -> list[str]:
        """Every token issued so far (for tests proving tokens never leak)."""
        with self._lock:
            return list(self._expiry)

    def check(self, authorization: str | None) -> str:
        """The client id of ``authorization`` (``Bearer <valid token>``); 401 otherwise."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "unauthorized", "missing Bearer token")
        with self._lock:
            expires_at = self._expiry.get(token.strip())
            if expires_at is None or expires_at <= self._clock():
                raise ApiError(401, "unauthorized", "the token is invalid or expired")
            return self._owner[token.strip()]
