"""Settings of the Port API client (``PORT_*`` environment variables)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from jira_port.settings.common import EnvModel, SecretStr, env

DEFAULT_API_URL = "https://api.port.io"


def _api_url(value: str) -> str:
    """Accept ``https://api.port.io``, a trailing slash, or a trailing ``/v1`` (port-cli style)."""
    url = value.strip().rstrip("/")
    url = url.removesuffix("/v1").rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("must be an http(s) URL such as https://api.port.io")
    if parts.query or parts.fragment:
        raise ValueError("must not carry a query string or fragment")
    return url


@dataclass(frozen=True, kw_only=True)
class PortSettings(EnvModel):
    """Where Port is and how to authenticate.

    Credentials come either from ``PORT_CLIENT_ID`` + ``PORT_CLIENT_SECRET`` (local runs) or from
    the Secrets Manager secret ``PORT_CREDENTIALS_SECRET_ARN`` holding
    ``{"clientId": ..., "clientSecret": ...}`` (Lambda).
    """

    api_url: str = env("PORT_API_URL", DEFAULT_API_URL, check=_api_url)
    client_id: str | None = env("PORT_CLIENT_ID", None)
    client_secret: SecretStr | None = env("PORT_CLIENT_SECRET", None)
    credentials_secret_arn: str | None = env("PORT_CREDENTIALS_SECRET_ARN", None)
    create_missing_related_entities: bool = env("PORT_CREATE_MISSING_RELATED_ENTITIES", True)
    max_concurrency: int = env("PORT_MAX_CONCURRENCY", 8, ge=1, le=64)
    timeout_seconds: float = env("PORT_TIMEOUT_SECONDS", 30.0, gt=0, le=300)

    def check(self) -> None:
        """Name the variable that is missing (a model-level message names the variables itself)."""
        if self.credentials_secret_arn:
            return
        secret = self.client_secret.get_secret_value() if self.client_secret is not None else ""
        missing = [
            name
            for name, value in (("PORT_CLIENT_ID", self.client_id), ("PORT_CLIENT_SECRET", secret))
            if not value
        ]
        if missing:
            raise ValueError(
                f"{' and '.join(missing)} not set: set PORT_CLIENT_ID and PORT_CLIENT_SECRET, "
                "or PORT_CREDENTIALS_SECRET_ARN"
            )

    def url(self, path: str) -> str:
        """The absolute URL of an API ``path`` such as ``/v1/blueprints``."""
        return f"{self.api_url}{path}"
