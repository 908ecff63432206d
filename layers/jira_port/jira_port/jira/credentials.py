"""Jira credentials: Cloud email + API token, Data Center PAT, or username + password.

Credentials come from the environment or from a Secrets Manager secret; a secret-backed provider can be
re-read once after Jira rejects the cached credentials (rotation without a redeploy).
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from jira_port.errors import ConfigError
from jira_port.secrets import get_secret_json
from jira_port.settings.common import SecretStr
from jira_port.settings.jira import JiraSettings

# Keys accepted in the secret JSON, per value (camelCase, snake_case and the environment names).
_SECRET_KEYS: dict[str, tuple[str, ...]] = {
    "email": ("email", "JIRA_EMAIL"),
    "api_token": ("apiToken", "api_token", "JIRA_API_TOKEN"),
    "pat": ("pat", "personalAccessToken", "JIRA_PAT"),
    "username": ("username", "JIRA_USERNAME"),
    "password": ("password", "JIRA_PASSWORD"),
}


@dataclass(frozen=True, slots=True, repr=False)
class JiraCredentials:
    """One way of authenticating; ``describe()`` is safe to show, the secret never is."""

    mode: Literal["basic", "bearer"]
    principal: str | None
    secret: SecretStr
    source: str

    def __repr__(self) -> str:
        return f"JiraCredentials({self.describe()})"

    def authorization(self) -> str:
        """The ``Authorization`` header value."""
        if self.mode == "bearer":
            return f"Bearer {self.secret.get_secret_value()}"
        raw = f"{self.principal}:{self.secret.get_secret_value()}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")

    def describe(self) -> str:
        """E.g. ``basic auth from JIRA_EMAIL/JIRA_API_TOKEN`` (no values)."""
        kind = "personal access token (Bearer)" if self.mode == "bearer" else "basic auth"
        return f"{kind} from {self.source}"

    @classmethod
    def basic(cls, principal: str, secret: str, source: str = "arguments") -> JiraCredentials:
        """Basic auth (Cloud email + API token, or Server username + password)."""
        return cls("basic", principal, SecretStr(secret), source)

    @classmethod
    def bearer(cls, token: str, source: str = "arguments") -> JiraCredentials:
        """A Data Center personal access token."""
        return cls("bearer", None, SecretStr(token), source)


def credentials_from_settings(settings: JiraSettings) -> JiraCredentials | None:
    """The credentials set directly in the environment (PAT, then email/token, then username/password)."""
    if settings.pat is not None:
        return JiraCredentials("bearer", None, settings.pat, "JIRA_PAT")
    if settings.email is not None and settings.api_token is not None:
        return JiraCredentials("basic", settings.email, settings.api_token, "JIRA_EMAIL/JIRA_API_TOKEN")
    if settings.username is not None and settings.password is not None:
        return JiraCredentials("basic", settings.username, settings.password, "JIRA_USERNAME/JIRA_PASSWORD")
    return None


def credentials_from_secret(values: Mapping[str, Any], secret_id: str) -> JiraCredentials:
    """Credentials from the JSON object of ``JIRA_CREDENTIALS_SECRET_ARN`` (same precedence as the env)."""

    def pick(name: str) -> str | None:
        for key in _SECRET_KEYS[name]:
            value = values.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return None

    source = f"secret {secret_id}"
    pat = pick("pat")
    if pat:
        return JiraCredentials("bearer", None, SecretStr(pat), source)
    email, token = pick("email"), pick("api_token")
    if email and token:
        return JiraCredentials("basic", email, SecretStr(token), source)
    username, password = pick("username"), pick("password")
    if username and password:
        return JiraCredentials("basic", username, SecretStr(password), source)
    raise ConfigError(
        f"secret {secret_id} holds no complete Jira credentials: expected keys email + apiToken, pat, "
        "or username + password (or JIRA_EMAIL + JIRA_API_TOKEN, JIRA_PAT, JIRA_USERNAME + JIRA_PASSWORD)"
    )


class CredentialsProvider:
    """Thread-safe holder of the current credentials; re-reads a secret on demand."""

    def __init__(
        self,
        credentials: JiraCredentials | None = None,
        *,
        secret_id: str | None = None,
        fetch: Callable[..., dict[str, Any]] = get_secret_json,
    ) -> None:
        if credentials is None and secret_id is None:
            raise ConfigError("no Jira credentials configured")
        self._lock = threading.Lock()
        self._secret_id = secret_id
        self._fetch = fetch
        self._credentials = credentials if credentials is not None else self._read(force=False)

    @classmethod
    def from_settings(
        cls, settings: JiraSettings, fetch: Callable[..., dict[str, Any]] = get_secret_json
    ) -> CredentialsProvider:
        """Secret first when ``JIRA_CREDENTIALS_SECRET_ARN`` is set, else the environment values."""
        if settings.credentials_secret_arn:
            return cls(secret_id=settings.credentials_secret_arn, fetch=fetch)
        return cls(credentials_from_settings(settings))

    @property
    def refreshable(self) -> bool:
        """Whether ``refresh()`` can produce different credentials (they come from a secret)."""
        return self._secret_id is not None

    def current(self) -> JiraCredentials:
        """The credentials to use now."""
        with self._lock:
            return self._credentials

    def refresh(self) -> JiraCredentials:
        """Re-read the secret bypassing the cache (call once after a 401)."""
        if self._secret_id is None:
            return self.current()
        fresh = self._read(force=True)
        with self._lock:
            self._credentials = fresh
        return fresh

    def _read(self, *, force: bool) -> JiraCredentials:
        assert self._secret_id is not None
        return credentials_from_secret(self._fetch(self._secret_id, force_fetch=force), self._secret_id)
