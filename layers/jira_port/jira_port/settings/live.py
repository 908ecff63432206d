"""Settings of the live path: the webhook function, the sync function and ``jira-port serve``."""

from __future__ import annotations

from typing import Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator

from jira_port.settings.common import EnvModel

MIB = 1024 * 1024
KIB = 1024
# API Gateway HTTP API accepts 10 MB, but a synchronous Lambda invocation carries at most 6 MB.
MAX_BODY_LIMIT = 6 * MIB
# SQS accepts 1 MiB messages since 2025; 256 KiB was the limit for years (and still is in some tools).
SQS_MESSAGE_LIMIT = 1024 * KIB


class LiveSettings(EnvModel):
    """Webhook authentication, queue, payload bucket, version guard and the limits of the live path.

    Webhook authentication: ``WEBHOOK_SECRET`` (local) or ``WEBHOOK_SECRET_ARN`` (Lambda) is the
    X-Hub-Signature key. ``WEBHOOK_TOKEN`` is the URL token alternative for Jira Data Center before 10;
    without it, the token is the secret's ``token`` key or, when ``WEBHOOK_REQUIRE_SIGNATURE`` is false,
    a token derived from the secret (``live.auth.url_token``), never the secret itself.
    ``WEBHOOK_REQUIRE_SIGNATURE=true`` accepts signed deliveries only: with no secret, or with a
    ``WEBHOOK_TOKEN`` (which it would ignore), the settings are contradictory and refused at start.
    """

    webhook_secret: SecretStr | None = Field(None, alias="WEBHOOK_SECRET")
    webhook_secret_arn: str | None = Field(None, alias="WEBHOOK_SECRET_ARN")
    webhook_token: SecretStr | None = Field(None, alias="WEBHOOK_TOKEN")
    require_signature: bool = Field(False, alias="WEBHOOK_REQUIRE_SIGNATURE")
    # Minimum seconds between two forced re-reads of the webhook secret after a failed verification.
    secret_refresh_seconds: float = Field(60.0, ge=0, le=3600, alias="WEBHOOK_SECRET_REFRESH_SECONDS")
    queue_url: str | None = Field(None, alias="QUEUE_URL")
    payload_bucket: str | None = Field(None, alias="PAYLOAD_BUCKET", min_length=3, max_length=63)
    state_table: str | None = Field(None, alias="STATE_TABLE", min_length=3, max_length=255)
    max_body_bytes: int = Field(5 * MIB, gt=0, le=MAX_BODY_LIMIT, alias="MAX_BODY_BYTES")
    # Envelopes above this size go to S3 and the message carries a pointer.
    max_message_bytes: int = Field(240 * KIB, ge=4 * KIB, le=SQS_MESSAGE_LIMIT, alias="MAX_MESSAGE_BYTES")
    # Keep above the queue retention plus the DLQ retention (4 + 14 days by default).
    guard_ttl_days: int = Field(30, ge=1, le=3650, alias="GUARD_TTL_DAYS")
    jira_base_url: str | None = Field(None, alias="JIRA_BASE_URL")

    @field_validator("jira_base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        url = value.strip().rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError("must be an http(s) URL such as https://your-site.atlassian.net")
        return url

    @field_validator("queue_url")
    @classmethod
    def _fifo_queue(cls, value: str | None) -> str | None:
        if value is not None and not value.endswith(".fifo"):
            raise ValueError("must be the URL of an SQS FIFO queue (name ending in .fifo)")
        return value

    @model_validator(mode="after")
    def _consistent_security(self) -> Self:
        if self.require_signature and not self.has_secret:
            raise ValueError(
                "WEBHOOK_REQUIRE_SIGNATURE is true but neither WEBHOOK_SECRET nor WEBHOOK_SECRET_ARN is set "
                "(every delivery would be refused)"
            )
        if self.require_signature and self.webhook_token is not None:
            raise ValueError(
                "WEBHOOK_TOKEN is set but WEBHOOK_REQUIRE_SIGNATURE is true (token deliveries would be "
                "refused); unset one of them"
            )
        return self

    @property
    def has_secret(self) -> bool:
        """Whether an X-Hub-Signature key is configured (inline or in Secrets Manager)."""
        return bool(self.webhook_secret_arn) or (
            self.webhook_secret is not None and bool(self.webhook_secret.get_secret_value())
        )
