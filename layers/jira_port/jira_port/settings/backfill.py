"""Settings of the backfill (scheduled Lambda and ``jira-port backfill``)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from jira_port.settings.common import EnvModel


class BackfillSettings(EnvModel):
    """``STATE_TABLE`` and ``BACKFILL_*``. The JQL scope itself is ``JIRA_JQL`` (Jira settings)."""

    state_table: str | None = Field(default=None, alias="STATE_TABLE", min_length=3, max_length=255)
    partition_concurrency: int = Field(default=8, alias="BACKFILL_PARTITION_CONCURRENCY", ge=1, le=64)
    safety_margin_seconds: float = Field(default=90.0, alias="BACKFILL_SAFETY_MARGIN_SECONDS", ge=0, le=600)
    # Slack subtracted from the last successful run's start in incremental JQL: absorbs Jira's
    # eventually consistent search index, clock skew and the minute precision of JQL dates.
    overlap_seconds: int = Field(default=900, alias="BACKFILL_OVERLAP_SECONDS", ge=0, le=7 * 86400)
    # IANA zone of the Jira account that runs the searches (Jira reads JQL dates in that zone);
    # "auto" asks Jira (GET /rest/api/2/myself -> timeZone) when an incremental run starts.
    jira_timezone: str = Field(default="auto", alias="BACKFILL_JIRA_TIMEZONE")
    delete_threshold: float = Field(default=0.9, alias="BACKFILL_DELETE_THRESHOLD", ge=0, le=1)
    lock_lease_seconds: int = Field(default=300, alias="BACKFILL_LOCK_LEASE_SECONDS", ge=30, le=3600)
    partition_max_attempts: int = Field(default=3, alias="BACKFILL_PARTITION_MAX_ATTEMPTS", ge=1, le=20)
    max_invocations: int = Field(default=200, alias="BACKFILL_MAX_INVOCATIONS", ge=1, le=10_000)
    # A project with more issues is paged as several created-date windows at once (see partitions).
    split_issues: int = Field(default=20_000, alias="BACKFILL_SPLIT_ISSUES", ge=1_000, le=10_000_000)
    state_ttl_days: int = Field(default=14, alias="BACKFILL_STATE_TTL_DAYS", ge=1, le=365)
    # Port client ids whose entities (``$createdBy``) a full run may treat as its own although its
    # ownership ledger lacks them: for the first run after an upgrade or under a new stack name.
    adopt_created_by: str = Field(default="", alias="BACKFILL_ADOPT_CREATED_BY", max_length=2000)

    @property
    def adopt_client_ids(self) -> frozenset[str]:
        """``BACKFILL_ADOPT_CREATED_BY`` split on commas."""
        return frozenset(part.strip() for part in self.adopt_created_by.split(",") if part.strip())

    @field_validator("jira_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value == "auto":
            return value
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be auto or an IANA time zone such as Europe/Berlin") from None
        return value
