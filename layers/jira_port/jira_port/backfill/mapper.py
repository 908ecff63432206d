"""Map what the backfill read through the configured mapping, exactly as a live webhook would be."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jira_port.actions import Action
from jira_port.backfill.records import BACKFILL_HEADERS, issue_event, project_event
from jira_port.live.moves import moved_away_deletions

if TYPE_CHECKING:
    from jira_port.mapping import CompiledMapping
    from jira_port.mapping.source import MappingProvider


@dataclass(slots=True)
class MappedPage:
    """The actions of one page and, per blueprint, the identifiers its upserts keep alive."""

    actions: list[Action] = field(default_factory=list)
    seen: dict[str, list[str]] = field(default_factory=dict)

    def add(self, actions: list[Action]) -> None:
        """Append one item's actions, recording upserted identifiers as seen."""
        for action in actions:
            self.actions.append(action)
            if action.operation == "upsert":
                self.seen.setdefault(action.blueprint, []).append(action.identifier)


class BackfillMapper:
    """Turns issues and projects into Port actions with the webhook mapping."""

    def __init__(self, mapping: CompiledMapping | MappingProvider, jira_base_url: str | None) -> None:
        self.mapping = mapping
        self.jira_base_url = jira_base_url

    def _evaluate(self, body: dict[str, Any]) -> list[Action]:
        return self.mapping.evaluate(body, BACKFILL_HEADERS, {}, jira_base_url=self.jira_base_url)

    def map_issues(self, issues: list[dict[str, Any]], read_at_ms: int) -> MappedPage:
        """Actions for a page of issues read at ``read_at_ms``."""
        page = MappedPage()
        for issue in issues:
            event = issue_event(issue, read_at_ms)
            actions = self._evaluate(event)
            page.add(actions + self._moved_away(event, issue, actions))
        return page

    def _moved_away(
        self, event: dict[str, Any], issue: dict[str, Any], actions: list[Action]
    ) -> list[Action]:
        """Deletes for the old keys of a moved issue, when the issue came with ``expand=changelog``
        (incremental runs ask for it; full runs' reconciliation removes old keys anyway)."""
        changelog = issue.get("changelog")
        histories = changelog.get("histories") if isinstance(changelog, dict) else None
        items = [i for h in histories or [] if isinstance(h, dict) for i in h.get("items") or []]
        if not items:
            return []
        return moved_away_deletions(self._evaluate, {**event, "changelog": {"items": items}}, actions)

    def map_projects(self, projects: list[dict[str, Any]], read_at_ms: int) -> MappedPage:
        """Actions for the projects read at ``read_at_ms``."""
        page = MappedPage()
        for project in projects:
            page.add(self._evaluate(project_event(project, read_at_ms)))
        return page
