"""Settings of the live path, one model per function composed from shared parts: ``WebhookSettings``
(the webhook function) and ``SyncSettings`` (the sync function, which also holds the Port part), both with
the mapping part; ``jira-port serve`` reads both.

The handlers also read the mapping part alone (``MappingSettings``) on the thread that loads the mapping
while they import the rest, so that load need not wait for these models.
"""

from __future__ import annotations

from dataclasses import dataclass

from jira_port.settings.common import EnvModel, SecretStr, env, site_url
from jira_port.settings.mapping import MappingSettings
from jira_port.settings.port import PortSettings

MIB = 1024 * 1024
KIB = 1024
# API Gateway HTTP API accepts 10 MB, but a synchronous Lambda invocation carries at most 6 MB.
MAX_BODY_LIMIT = 6 * MIB
# SQS accepts 1 MiB messages since 2025; 256 KiB was the limit for years (and still is in some tools).
SQS_MESSAGE_LIMIT = 1024 * KIB


def _fifo_queue(value: str) -> str:
    if not value.endswith(".fifo"):
        raise ValueError("must be the URL of an SQS FIFO queue (name ending in .fifo)")
    return value


@dataclass(frozen=True, kw_only=True)
class LiveSiteSettings(EnvModel):
    """What both live functions share: the Jira site the events come from (``JIRA_BASE_URL``, for the
    issue links the mapping builds) and the bucket of oversized queue messages (``PAYLOAD_BUCKET``)."""

    jira_base_url: str | None = env("JIRA_BASE_URL", None, check=site_url)
    payload_bucket: str | None = env("PAYLOAD_BUCKET", None, min_length=3, max_length=63)


@dataclass(frozen=True, kw_only=True)
class WebhookSettings(LiveSiteSettings, MappingSettings):
    """The webhook function: authentication, body limit and the queue it writes to.

    ``WEBHOOK_SECRET`` (local) or ``WEBHOOK_SECRET_ARN`` (Lambda) is the X-Hub-Signature key.
    ``WEBHOOK_TOKEN`` is the URL token alternative for Jira Data Center before 10; without it, the token
    is the secret's ``token`` key or, when ``WEBHOOK_REQUIRE_SIGNATURE`` is false, a token derived from the
    secret (``live.auth.url_token``), never the secret itself. ``WEBHOOK_REQUIRE_SIGNATURE=true`` accepts
    signed deliveries only: with no secret, or with a ``WEBHOOK_TOKEN`` (which it would ignore), the
    settings are contradictory and refused at start.
    """

    webhook_secret: SecretStr | None = env("WEBHOOK_SECRET", None)
    webhook_secret_arn: str | None = env("WEBHOOK_SECRET_ARN", None)
    webhook_token: SecretStr | None = env("WEBHOOK_TOKEN", None)
    require_signature: bool = env("WEBHOOK_REQUIRE_SIGNATURE", False)
    # Minimum seconds between two forced re-reads of the webhook secret after a failed verification.
    secret_refresh_seconds: float = env("WEBHOOK_SECRET_REFRESH_SECONDS", 60.0, ge=0, le=3600)
    queue_url: str | None = env("QUEUE_URL", None, check=_fifo_queue)
    max_body_bytes: int = env("MAX_BODY_BYTES", 5 * MIB, gt=0, le=MAX_BODY_LIMIT)
    # Envelopes above this size go to S3 and the message carries a pointer.
    max_message_bytes: int = env("MAX_MESSAGE_BYTES", 240 * KIB, ge=4 * KIB, le=SQS_MESSAGE_LIMIT)

    def check(self) -> None:
        """Contradictory security settings fail at start, not on the first delivery."""
        super().check()
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

    @property
    def has_secret(self) -> bool:
        """Whether an X-Hub-Signature key is configured (inline or in Secrets Manager)."""
        return bool(self.webhook_secret_arn) or (
            self.webhook_secret is not None and bool(self.webhook_secret.get_secret_value())
        )


@dataclass(frozen=True, kw_only=True)
class SyncSettings(LiveSiteSettings, MappingSettings, PortSettings):
    """The sync function: the state table of the version guard and ownership ledger, and Port.

    ``GUARD_TTL_DAYS``: keep above the queue retention plus the DLQ retention (4 + 14 days by default).
    """

    state_table: str | None = env("STATE_TABLE", None, min_length=3, max_length=255)
    guard_ttl_days: int = env("GUARD_TTL_DAYS", 30, ge=1, le=3650)
