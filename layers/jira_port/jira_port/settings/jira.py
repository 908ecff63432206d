"""Jira connection settings (``JIRA_*``).

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

from dataclasses import dataclass
from typing import Literal

from jira_port.settings.common import EnvModel, SecretStr, env, site_url

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


def _deployment(value: str) -> str:
    return _DEPLOYMENT_ALIASES.get(value.strip().lower(), value)


def _field_names(value: str) -> str:
    if not [f for f in value.split(",") if f.strip()]:
        raise ValueError("must name at least one field, e.g. *all")
    return value


@dataclass(frozen=True, kw_only=True)
class JiraSettings(EnvModel):
    """Where Jira is, how to authenticate, and what to read from it."""

    base_url: str = env("JIRA_BASE_URL", check=site_url)
    deployment: Deployment = env("JIRA_DEPLOYMENT", "auto", before=_deployment)
    email: str | None = env("JIRA_EMAIL", None)
    api_token: SecretStr | None = env("JIRA_API_TOKEN", None)
    pat: SecretStr | None = env("JIRA_PAT", None)
    username: str | None = env("JIRA_USERNAME", None)
    password: SecretStr | None = env("JIRA_PASSWORD", None)
    credentials_secret_arn: str | None = env("JIRA_CREDENTIALS_SECRET_ARN", None)
    jql: str | None = env("JIRA_JQL", None)
    fields: str = env("JIRA_FIELDS", DERIVE, check=_field_names)
    expand: str | None = env("JIRA_EXPAND", None)
    page_size: int = env("JIRA_PAGE_SIZE", 100, ge=1, le=5000)
    max_concurrency: int = env("JIRA_MAX_CONCURRENCY", 4, ge=1, le=32)
    timeout_seconds: float = env("JIRA_TIMEOUT_SECONDS", 30.0, gt=0, le=300)

    def check(self) -> None:
        """Credentials come in complete pairs, from one of the sources."""
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
