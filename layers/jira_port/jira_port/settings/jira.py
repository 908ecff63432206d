"""Jira connection settings (``JIRA_*``) and the webhook-registration secret.

Credentials, in order of precedence:

1. ``JIRA_CREDENTIALS_SECRET_ARN``: a Secrets Manager secret holding a JSON object with the same values
   (``{"email": ..., "apiToken": ...}``, ``{"pat": ...}`` or ``{"username": ..., "password": ...}``; the
   environment-style names ``JIRA_EMAIL``, ``JIRA_API_TOKEN``, ``JIRA_PAT``, ``JIRA_USERNAME``,
   ``JIRA_PASSWORD`` are accepted too). Read when the client is built and re-read once on a 401.
2. ``JIRA_PAT``: a Data Center personal access token (``Authorization: Bearer``).
3. ``JIRA_EMAIL`` + ``JIRA_API_TOKEN``: Jira Cloud basic auth.
4. ``JIRA_USERNAME`` + ``JIRA_PASSWORD``: Server/Data Center basic auth.

``JIRA_FIELDS`` defaults to ``derive``: the backfill asks Jira for the fields (and ``expand`` sections)
the mapping reads, or for ``*all`` (logged with the reason) when a mapping reads fields it cannot name;
an explicit comma-separated list (e.g. ``*all``) overrides. Either way one mapping serves both paths.
``JIRA_JQL`` narrows the scope (its ORDER BY is replaced by ``ORDER BY id ASC``).
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator

from jira_port.settings.common import EnvModel

Deployment = Literal["auto", "cloud", "server"]
#: ``JIRA_FIELDS`` value asking the backfill to read only the fields the mapping reads.
DERIVE = "derive"

_DEPLOYMENT_ALIASES = {
    "auto": "auto",
    "cloud": "cloud",
    "server": "server",
    "datacenter": "server",
    "data-center": "server",
    "data_center": "server",
    "dc": "server",
}


class JiraSettings(EnvModel):
    """Where Jira is, how to authenticate, and what to read from it."""

    base_url: str = Field(alias="JIRA_BASE_URL")
    deployment: Deployment = Field(default="auto", alias="JIRA_DEPLOYMENT")
    email: str | None = Field(default=None, alias="JIRA_EMAIL")
    api_token: SecretStr | None = Field(default=None, alias="JIRA_API_TOKEN")
    pat: SecretStr | None = Field(default=None, alias="JIRA_PAT")
    username: str | None = Field(default=None, alias="JIRA_USERNAME")
    password: SecretStr | None = Field(default=None, alias="JIRA_PASSWORD")
    credentials_secret_arn: str | None = Field(default=None, alias="JIRA_CREDENTIALS_SECRET_ARN")
    jql: str | None = Field(default=None, alias="JIRA_JQL")
    fields: str = Field(default=DERIVE, alias="JIRA_FIELDS")
    expand: str | None = Field(default=None, alias="JIRA_EXPAND")
    page_size: int = Field(default=100, ge=1, le=5000, alias="JIRA_PAGE_SIZE")
    max_concurrency: int = Field(default=4, ge=1, le=32, alias="JIRA_MAX_CONCURRENCY")
    timeout_seconds: float = Field(default=30.0, gt=0, le=300, alias="JIRA_TIMEOUT_SECONDS")

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("https://", "http://")) or "://" not in value or len(value) < 10:
            raise ValueError("must be an http(s) URL such as https://your-site.atlassian.net")
        return value

    @field_validator("deployment", mode="before")
    @classmethod
    def _normalise_deployment(cls, value: object) -> object:
        if isinstance(value, str):
            return _DEPLOYMENT_ALIASES.get(value.strip().lower(), value)
        return value

    @field_validator("fields")
    @classmethod
    def _check_fields(cls, value: str) -> str:
        if not [f for f in value.split(",") if f.strip()]:
            raise ValueError("must name at least one field, e.g. *all")
        return value

    @model_validator(mode="after")
    def _check_credentials(self) -> Self:
        if self.email is not None and self.api_token is None:
            raise ValueError("JIRA_EMAIL is set without JIRA_API_TOKEN")
        if self.api_token is not None and self.email is None:
            raise ValueError("JIRA_API_TOKEN is set without JIRA_EMAIL")
        if self.username is not None and self.password is None:
            raise ValueError("JIRA_USERNAME is set without JIRA_PASSWORD")
        if self.password is not None and self.username is None:
            raise ValueError("JIRA_PASSWORD is set without JIRA_USERNAME")
        if self.credentials_secret_arn is None and not (self.pat or self.api_token or self.password):
            raise ValueError(
                "no Jira credentials: set JIRA_EMAIL + JIRA_API_TOKEN (Cloud), JIRA_PAT or "
                "JIRA_USERNAME + JIRA_PASSWORD (Server/Data Center), or JIRA_CREDENTIALS_SECRET_ARN"
            )
        return self

    @property
    def derives_fields(self) -> bool:
        """Whether the backfill derives its fields from the mapping (``JIRA_FIELDS=derive``)."""
        return self.fields.strip().lower() == DERIVE

    @property
    def field_list(self) -> list[str]:
        """``JIRA_FIELDS`` split on commas; ``["*all"]`` when derived (the client's default for reads
        outside the backfill, which asks for the mapping's own fields)."""
        if self.derives_fields:
            return ["*all"]
        return [f.strip() for f in self.fields.split(",") if f.strip()]


class WebhookRegistrationSettings(EnvModel):
    """The secret Jira signs webhook deliveries with (read by ``jira-port register-webhook``).

    The same variables the webhook Lambda verifies with: ``WEBHOOK_SECRET`` or, in AWS,
    ``WEBHOOK_SECRET_ARN`` (a plain-string Secrets Manager secret).
    """

    secret: SecretStr | None = Field(default=None, alias="WEBHOOK_SECRET")
    secret_arn: str | None = Field(default=None, alias="WEBHOOK_SECRET_ARN")
