"""Cut the issue scope into partitions that page independently.

Under real JQL a page chain can only be resumed inside one project (``key > X`` acts in X's project),
so every pass is cut per project (``project = <id> AND (<scope>)``, by id so a key rename mid-run
changes nothing) and several partitions are paged at once:

- full pass: one partition per project; a project above ``split_issues`` issues is cut further into
  ``created`` windows (immutable, even for moved issues), so one huge project is paged in parallel. Each
  project is counted with one query, unless Jira Cloud's project listing (``insight.totalIssueCount``)
  already puts it at or below ``split_issues``, so the first issue pages do not wait for counts;
- incremental pass: ``updated >= <watermark>`` per project. One probe page of the whole changed set
  usually holds it all and names the projects concerned, so only those are visited; otherwise every
  project is.

Jira reads JQL dates as wall-clock times in the searching account's time zone
(``BACKFILL_JIRA_TIMEZONE``) at minute precision. The watermark is therefore converted to that zone
and floored to the minute, and ``BACKFILL_OVERLAP_SECONDS`` (default 15 minutes) is subtracted
first: that absorbs clock skew, the minute rounding and the seconds-to-minutes lag of Jira Cloud's
eventually consistent search index. If the zone is set wrong, the overlap must cover the offset
error too (e.g. 3 hours off needs an overlap above 10,800 s).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jira_port.backfill.store import PartitionState, RunState
from jira_port.errors import ConfigError, JiraPortError
from jira_port.jira import jql as jqlmod
from jira_port.jira.projects import insight_issue_count
from jira_port.observability import logger
from jira_port.settings.backfill import BackfillSettings

PROJECTS_KEY = "~projects"


@dataclass(frozen=True, slots=True)
class PipelineOptions:
    """Paging and concurrency options of the issue pass."""

    concurrency: int = 8
    fields: list[str] | None = None
    expand: str | None = None
    page_size: int | None = None
    max_attempts: int = 3
    record_seen: bool = True


def scope_restriction(jql: str | None) -> str:
    """The configured scope as a bare restriction (ORDER BY dropped, default = every project)."""
    return jqlmod.restriction(jql)


def project_partitions(
    projects: Iterable[dict[str, Any]], scope: str, extra: str | None = None
) -> list[PartitionState]:
    """One pending partition per project, keyed by project key (ids when a key is missing);
    ``extra`` narrows every partition (an incremental window)."""
    partitions: dict[str, PartitionState] = {}
    for project in projects:
        pid, key = _partition_key(project)
        if not key:
            continue
        if pid.isdigit():
            where = jqlmod.project_partition(pid, scope, extra)
        else:
            where = f"project = {jqlmod.quote(key)} AND ({scope})" + (f" AND ({extra})" if extra else "")
        partitions[key] = PartitionState(key=key, jql=where)
    return [partitions[k] for k in sorted(partitions)]


def _partition_key(project: dict[str, Any]) -> tuple[str, str]:
    """A project's id and its partition's key (the project key, else the id)."""
    pid = str(project.get("id", "")).strip()
    return pid, str(project.get("key") or pid).strip()


def incremental_partitions(
    jira: object, projects: list[dict[str, Any]], scope: str, since: str
) -> list[PartitionState]:
    """Per-project partitions of ``updated >= since``, only for the projects a probe found changes in
    (every project when the probe cannot tell)."""
    window = f'updated >= "{since}"'
    probe: Callable[[str], set[str] | None] | None = getattr(jira, "changed_projects", None)
    wanted = _ask(probe, f"({scope}) AND {window}") if callable(probe) else None
    chosen = projects if wanted is None else [p for p in projects if str(p.get("id")) in wanted]
    return project_partitions(chosen, scope, window)


def plan_partitions(
    jira: object, projects: list[dict[str, Any]], run: RunState, settings: BackfillSettings
) -> list[PartitionState]:
    """The partitions of ``run``'s issue pass (see the module docstring)."""
    if run.mode == "incremental" and run.since is not None:
        return incremental_partitions(jira, projects, run.scope, run.since)
    # Jira Cloud lists every project's issue count (``insight``), at least the partition's count.
    listed = {_partition_key(p)[1]: n for p in projects if (n := insight_issue_count(p)) is not None}
    return split_large(
        jira,
        project_partitions(projects, run.scope),
        split_issues=settings.split_issues,
        workers=settings.partition_concurrency,
        at_most=listed,
    )


def pass_options(options: PipelineOptions, run: RunState) -> PipelineOptions:
    """The paging options of ``run``'s issue pass: seen identifiers only when it reconciles, and an
    incremental pass also expands ``changelog``, whose ``Key`` items name the old keys of issues moved
    since, so their entities go without waiting for a full run."""
    expand = options.expand
    parts = [p.strip() for p in (expand or "").split(",") if p.strip()]
    if run.since is not None and "changelog" not in parts:
        expand = ",".join([*parts, "changelog"])
    return replace(options, record_seen=run.reconcile, expand=expand)


def split_large(
    jira: object,
    partitions: list[PartitionState],
    *,
    split_issues: int,
    workers: int,
    at_most: Mapping[str, int] | None = None,
) -> list[PartitionState]:
    """Cut each partition above ``split_issues`` issues into ``created`` windows (counted in parallel).
    A partition whose key ``at_most`` bounds by ``split_issues`` or fewer issues is not counted."""
    count = getattr(jira, "issue_count", None)
    windows = getattr(jira, "created_windows", None)
    if not callable(count) or not callable(windows) or not partitions:
        return partitions
    bounds = at_most or {}
    unknown = [p for p in partitions if bounds.get(p.key, split_issues + 1) > split_issues]
    counted: dict[str, Any] = {}
    if unknown:
        with ThreadPoolExecutor(
            max(1, min(workers, len(unknown))), thread_name_prefix="backfill-count"
        ) as pool:
            answers = list(pool.map(lambda p: _ask(count, p.jql), unknown))
        counted = {p.key: n for p, n in zip(unknown, answers, strict=True)}
    out: list[PartitionState] = []
    for partition in partitions:
        total = counted.get(partition.key, bounds.get(partition.key))
        if not isinstance(total, int) or total <= split_issues:
            out.append(partition)
            continue
        clauses = _ask(windows, partition.jql, math.ceil(total / split_issues)) or []
        if not clauses:
            out.append(partition)
            continue
        logger.info(
            "large project split into created windows",
            extra={"partition": partition.key, "issues": total, "windows": len(clauses)},
        )
        out += [
            PartitionState(key=f"{partition.key}#{n:03d}", jql=f"{partition.jql} AND ({clause})")
            for n, clause in enumerate(clauses, 1)
        ]
    return out


def _ask(call: Callable[..., Any], *args: Any) -> Any:
    """A planning question to Jira; None (plan without it) when Jira cannot answer."""
    try:
        return call(*args)
    except ConfigError:
        raise
    except JiraPortError as exc:
        logger.warning(
            "backfill planning query failed", extra={"error": f"{type(exc).__name__}: {exc}"[:300]}
        )
        return None


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
