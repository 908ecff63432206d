"""Settings of the backfill (scheduled Lambda and ``jira-port backfill``)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jira_port.settings.common import EnvModel, env


def _known_zone(value: str) -> str:
    if value == "auto":
        return value
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("must be auto or an IANA time zone such as Europe/Berlin") from None
    return value


@dataclass(frozen=True, kw_only=True)
class BackfillSettings(EnvModel):
    """``STATE_TABLE`` and ``BACKFILL_*``. The JQL scope itself is ``JIRA_JQL`` (Jira settings)."""

    state_table: str | None = env("STATE_TABLE", None, min_length=3, max_length=255)
    partition_concurrency: int = env("BACKFILL_PARTITION_CONCURRENCY", 8, ge=1, le=64)
    safety_margin_seconds: float = env("BACKFILL_SAFETY_MARGIN_SECONDS", 90.0, ge=0, le=600)
    # Slack subtracted from the last successful run's start in incremental JQL: absorbs Jira's
    # eventually consistent search index, clock skew and the minute precision of JQL dates.
    overlap_seconds: int = env("BACKFILL_OVERLAP_SECONDS", 900, ge=0, le=7 * 86400)
    # IANA zone of the Jira account that runs the searches (Jira reads JQL dates in that zone);
    # "auto" asks Jira (GET /rest/api/2/myself -> timeZone) when an incremental run starts.
    jira_timezone: str = env("BACKFILL_JIRA_TIMEZONE", "auto", check=_known_zone)
    delete_threshold: float = env("BACKFILL_DELETE_THRESHOLD", 0.9, ge=0, le=1)
    lock_lease_seconds: int = env("BACKFILL_LOCK_LEASE_SECONDS", 300, ge=30, le=3600)
    partition_max_attempts: int = env("BACKFILL_PARTITION_MAX_ATTEMPTS", 3, ge=1, le=20)
    max_invocations: int = env("BACKFILL_MAX_INVOCATIONS", 200, ge=1, le=10_000)
    # A project with more issues is paged as several created-date windows at once (see partitions).
    split_issues: int = env("BACKFILL_SPLIT_ISSUES", 20_000, ge=1_000, le=10_000_000)
    state_ttl_days: int = env("BACKFILL_STATE_TTL_DAYS", 14, ge=1, le=365)
    # Port client ids whose entities (``$createdBy``) a full run may treat as its own although its
    # ownership ledger lacks them: for the first run after an upgrade or under a new stack name.
    adopt_created_by: str = env("BACKFILL_ADOPT_CREATED_BY", "", max_length=2000)

    @property
    def adopt_client_ids(self) -> frozenset[str]:
        """``BACKFILL_ADOPT_CREATED_BY`` split on commas."""
        return frozenset(part.strip() for part in self.adopt_created_by.split(",") if part.strip())
