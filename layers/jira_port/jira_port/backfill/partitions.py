"""Cut the issue scope into partitions that page independently.

A search's page chain is sequential, so a full pass gets one partition per project
(``project = <id> AND (<scope>)``, by id so a key rename mid-run changes nothing) and pages several
at once. An incremental pass after a successful run reads only ``updated >= <watermark>`` issues, a
small set, so it is a single partition over the whole scope.

Jira reads JQL dates as wall-clock times in the searching account's time zone
(``BACKFILL_JIRA_TIMEZONE``) at minute precision. The watermark is therefore converted to that zone
and floored to the minute, and ``BACKFILL_OVERLAP_SECONDS`` (default 15 minutes) is subtracted
first: that absorbs clock skew, the minute rounding and the seconds-to-minutes lag of Jira Cloud's
eventually consistent search index. If the zone is set wrong, the overlap must cover the offset
error too (e.g. 3 hours off needs an overlap above 10,800 s).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jira_port.backfill.model import PartitionState
from jira_port.errors import ConfigError, JiraPortError
from jira_port.jira import jql as jqlmod
from jira_port.observability import logger

WHOLE_SCOPE = "*"
PROJECTS_KEY = "~projects"


def scope_restriction(jql: str | None) -> str:
    """The configured scope as a bare restriction (ORDER BY dropped, default = every project)."""
    return jqlmod.restriction(jql)


def project_partitions(projects: Iterable[dict[str, Any]], scope: str) -> list[PartitionState]:
    """One pending partition per project, keyed by project key (ids when a key is missing)."""
    partitions: dict[str, PartitionState] = {}
    for project in projects:
        pid = str(project.get("id", "")).strip()
        key = str(project.get("key") or pid).strip()
        if not key:
            continue
        if pid.isdigit():
            where = jqlmod.project_partition(pid, scope)
        else:
            where = f"project = {jqlmod.quote(key)} AND ({scope})"
        partitions[key] = PartitionState(key=key, jql=where)
    return [partitions[k] for k in sorted(partitions)]


def incremental_partition(scope: str, since: str) -> PartitionState:
    """The single partition of an incremental pass: the scope restricted to recently updated issues."""
    return PartitionState(key=WHOLE_SCOPE, jql=f'({scope}) AND updated >= "{since}"')


def jql_since(watermark_ms: int, overlap_seconds: int, timezone: str) -> str:
    """``yyyy-MM-dd HH:mm`` in ``timezone`` for ``watermark - overlap``, floored to the minute."""
    instant = datetime.fromtimestamp((watermark_ms / 1000) - overlap_seconds, tz=UTC)
    return instant.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def account_timezone(jira: object) -> str:
    """The searching account's time zone (``GET /rest/api/2/myself`` → ``timeZone``), else UTC."""
    myself = getattr(jira, "myself", None)
    zone: object = None
    if callable(myself):
        try:
            zone = (myself() or {}).get("timeZone")
        except ConfigError:
            raise
        except JiraPortError as exc:
            logger.warning("cannot read the Jira account's time zone", extra={"error": type(exc).__name__})
    if isinstance(zone, str) and zone:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            pass
        else:
            return zone
    logger.warning(
        "Jira account time zone unknown; JQL dates are written in UTC (see BACKFILL_JIRA_TIMEZONE)"
    )
    return "UTC"
