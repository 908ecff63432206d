"""Settings of the Port API client (``PORT_*`` environment variables)."""

from __future__ import annotations

from typing import Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator

from jira_port.settings.common import EnvModel

DEFAULT_API_URL = "https://api.port.io"


class PortSettings(EnvModel):
    """Where Port is and how to authenticate.

    Credentials come either from ``PORT_CLIENT_ID`` + ``PORT_CLIENT_SECRET`` (local runs) or from
    the Secrets Manager secret ``PORT_CREDENTIALS_SECRET_ARN`` holding
    ``{"clientId": ..., "clientSecret": ...}`` (Lambda).
    """

    api_url: str = Field(DEFAULT_API_URL, alias="PORT_API_URL")
    client_id: str | None = Field(None, alias="PORT_CLIENT_ID")
    client_secret: SecretStr | None = Field(None, alias="PORT_CLIENT_SECRET")
    credentials_secret_arn: str | None = Field(None, alias="PORT_CREDENTIALS_SECRET_ARN")
    create_missing_related_entities: bool = Field(True, alias="PORT_CREATE_MISSING_RELATED_ENTITIES")
    max_concurrency: int = Field(8, ge=1, le=64, alias="PORT_MAX_CONCURRENCY")
    timeout_seconds: float = Field(30.0, gt=0, le=300, alias="PORT_TIMEOUT_SECONDS")

    @field_validator("api_url")
    @classmethod
    def _normalise_url(cls, value: str) -> str:
        """Accept ``https://api.port.io``, a trailing slash, or a trailing ``/v1`` (port-cli style)."""
        url = value.strip().rstrip("/")
        url = url.removesuffix("/v1").rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError("must be an http(s) URL such as https://api.port.io")
        if parts.query or parts.fragment:
            raise ValueError("must not carry a query string or fragment")
        return url

    @model_validator(mode="after")
    def _credentials_present(self) -> Self:
        """Name the variable that is missing (a model-level message names the variables itself)."""
        if self.credentials_secret_arn:
            return self
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
        return self

    def url(self, path: str) -> str:
        """The absolute URL of an API ``path`` such as ``/v1/blueprints``."""
        return f"{self.api_url}{path}"
