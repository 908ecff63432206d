"""Port credentials, fixed at start-up (``PORT_CLIENT_ID``/``PORT_CLIENT_SECRET``) or a rotatable secret,
and obtaining the access token they buy (``obtain_token``). The client caches that token
(``client.PortSession``) and comes here only at start and when it is about to expire or was rejected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from jira_port.errors import ConfigError
from jira_port.port.types import PortAuthError, PortResponse, PortStats, encode_json
from jira_port.secrets import get_secret_json
from jira_port.settings.common import SecretStr
from jira_port.settings.port import PortSettings

ACCESS_TOKEN_ROUTE = "/v1/auth/access_token"  # noqa: S105 - a route, not a password
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


def obtain_token(
    source: CredentialSource,
    post: Callable[[str, bytes], PortResponse],
    stats: PortStats,
    clock: Callable[[], float],
    *,
    reload: bool = False,
) -> tuple[str, float]:
    """A new access token and the ``clock`` time to renew it at (``expiresIn`` less min(60 s, 10 %)).

    ``post(route, body)`` sends the token request; Port's 401 raises ``PortAuthError``. ``reload`` re-reads a
    rotatable secret first; without it, a rejected cached secret is re-read once (it may have been rotated).
    Port hands out one active token per set of credentials: asking again returns the *same* token with a
    smaller ``expiresIn``, so the expiry is computed from every answer.
    """
    if reload and source.reloadable:
        stats.add(secret_reloads=1)
    credentials = source.get(reload=reload)
    started = clock()
    try:
        value, expires_in = _request_token(post, credentials, stats)
    except PortAuthError:
        if reload or not source.reloadable:
            raise
        stats.add(secret_reloads=1)  # the secret may have been rotated since it was cached: re-read it once
        credentials = source.get(reload=True)
        started = clock()
        value, expires_in = _request_token(post, credentials, stats)
    skew = min(MAX_EXPIRY_SKEW_SECONDS, max(0.0, expires_in) * 0.1)
    return value, started + expires_in - skew


def _request_token(
    post: Callable[[str, bytes], PortResponse], credentials: Credentials, stats: PortStats
) -> tuple[str, float]:
    secret = credentials.client_secret.get_secret_value()
    stats.add(token_requests=1)
    response = post(
        ACCESS_TOKEN_ROUTE, encode_json({"clientId": credentials.client_id, "clientSecret": secret})
    )
    if not response.ok:
        raise response.error()
    payload = response.body if isinstance(response.body, dict) else {}
    token, expires_in = payload.get("accessToken"), payload.get("expiresIn")
    if not isinstance(token, str) or not token or not isinstance(expires_in, int | float):
        raise PortAuthError(response.status, "invalid_token_response", "Port's token answer lacks a token")
    return token, float(expires_in)
