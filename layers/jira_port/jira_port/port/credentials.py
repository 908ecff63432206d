"""Port credentials, fixed at start-up (``PORT_CLIENT_ID``/``PORT_CLIENT_SECRET``) or a rotatable secret,
and the access token they buy (``TokenManager``, which asks its ``CredentialSource`` when it needs one).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from jira_port.errors import ConfigError
from jira_port.port.types import PortAuthError, PortStats
from jira_port.secrets import get_secret_json
from jira_port.settings.common import SecretStr
from jira_port.settings.port import PortSettings

# Refresh this long before expiry, at most (tokens live 3 h; short test lifetimes use 10 %).
MAX_EXPIRY_SKEW_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Credentials:
    """A Port client id and secret (the secret never appears in ``repr``)."""

    client_id: str
    client_secret: SecretStr


class CredentialSource(Protocol):
    """Where credentials come from; ``reloadable`` sources can be re-read after a rotation."""

    @property
    def reloadable(self) -> bool: ...

    def get(self, *, reload: bool = False) -> Credentials: ...


class StaticCredentials:
    """Credentials fixed at start-up (``PORT_CLIENT_ID`` / ``PORT_CLIENT_SECRET``)."""

    reloadable = False

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    def get(self, *, reload: bool = False) -> Credentials:
        """The configured credentials (``reload`` has nothing to re-read)."""
        return self._credentials


class SecretCredentials:
    """Credentials in a Secrets Manager secret ``{"clientId": ..., "clientSecret": ...}``."""

    reloadable = True

    def __init__(self, secret_id: str) -> None:
        self._secret_id = secret_id

    def get(self, *, reload: bool = False) -> Credentials:
        """Read the secret (cached; ``reload=True`` bypasses the cache after a rotation)."""
        data = get_secret_json(self._secret_id, force_fetch=reload)
        client_id, client_secret = data.get("clientId"), data.get("clientSecret")
        if (
            not isinstance(client_id, str)
            or not client_id
            or not isinstance(client_secret, str)
            or not client_secret
        ):
            raise ConfigError(
                f"secret {self._secret_id} must hold non-empty string keys clientId and clientSecret"
            )
        return Credentials(client_id, SecretStr(client_secret))


def credential_source(settings: PortSettings) -> CredentialSource:
    """The source the settings name: the secret when an ARN is set, else the static pair."""
    if settings.credentials_secret_arn:
        return SecretCredentials(settings.credentials_secret_arn)
    assert settings.client_id is not None and settings.client_secret is not None  # ensured by PortSettings
    return StaticCredentials(Credentials(settings.client_id, settings.client_secret))


class _Token:
    __slots__ = ("expires_at", "value")

    def __init__(self, value: str, expires_at: float) -> None:
        self.value = value
        self.expires_at = expires_at

    def __repr__(self) -> str:
        return "<Port token (redacted)>"


class TokenManager:
    """Thread-safe cache of the one Port access token of this process.

    ``fetch(credentials)`` returns ``(accessToken, expiresIn seconds)`` and raises ``PortAuthError`` on 401.
    Port hands out one active token per set of credentials: asking again returns the *same* token with a
    smaller ``expiresIn``. So the expiry is computed from ``expiresIn`` on every answer, and a token is
    refreshed only when it is about to expire or Port rejected it.
    """

    def __init__(
        self,
        source: CredentialSource,
        fetch: Callable[[Credentials], tuple[str, float]],
        *,
        stats: PortStats | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._fetch = fetch
        self._stats = stats if stats is not None else PortStats()
        self._clock = clock
        self._lock = threading.Lock()
        self._token: _Token | None = None

    def __repr__(self) -> str:
        return f"TokenManager(source={type(self._source).__name__})"

    def token(self) -> str:
        """A token that is not about to expire, fetching one when needed."""
        with self._lock:
            current = self._token
            if current is not None and self._clock() < current.expires_at:
                return current.value
            return self._obtain(reload=False)

    def refresh(self, rejected: str, *, reload_credentials: bool = False) -> str:
        """A token other than ``rejected`` (Port answered 401 to it).

        When another thread already replaced ``rejected``, that token is returned without a new
        request. ``reload_credentials`` re-reads a rotatable secret first.
        """
        with self._lock:
            current = self._token
            if current is not None and current.value != rejected and self._clock() < current.expires_at:
                return current.value
            self._token = None
            self._stats.add(token_refreshes=1)
            return self._obtain(reload=reload_credentials)

    def _obtain(self, *, reload: bool) -> str:
        if reload and self._source.reloadable:
            self._stats.add(secret_reloads=1)
        credentials = self._source.get(reload=reload)
        started = self._clock()
        try:
            value, expires_in = self._fetch(credentials)
        except PortAuthError:
            if reload or not self._source.reloadable:
                raise
            # The secret may have been rotated since it was cached: read it again, once.
            self._stats.add(secret_reloads=1)
            credentials = self._source.get(reload=True)
            started = self._clock()
            value, expires_in = self._fetch(credentials)
        skew = min(MAX_EXPIRY_SKEW_SECONDS, max(0.0, expires_in) * 0.1)
        self._token = _Token(value, started + expires_in - skew)
        return value
