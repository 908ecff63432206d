"""Port credentials: fixed at start-up (``PORT_CLIENT_ID``/``PORT_CLIENT_SECRET``) or a rotatable secret.

``PortSession``'s token cache asks a ``CredentialSource`` for them when it needs a new token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from jira_port.errors import ConfigError
from jira_port.secrets import get_secret_json
from jira_port.settings.common import SecretStr
from jira_port.settings.port import PortSettings


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
