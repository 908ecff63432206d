"""Does Port hold exactly what the mapping makes of Jira's current state? The demo's closing check.

Jira is read afresh over HTTP (every project, every issue, every item of the kinds the mapping maps:
users, boards, sprints, versions, components) and mapped as the backfill maps it. Port must
hold the same identifiers per blueprint and, for each entity, the title, the relations and every
property the mapping sets (a live event may add properties a backfill leaves alone, such as
``lastChangeType``; those are not compared).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jira_port.backfill.mapper import BACKFILL_HEADERS, issue_event, project_event
from jira_port.mapping import CompiledMapping
from jira_port_emulators.port.relation_search import resolve_all

Entities = dict[str, dict[str, dict[str, Any]]]  # blueprint -> identifier -> entity
MAX_EXAMPLES = 5


def expected_state(
    mapping: CompiledMapping,
    projects: Iterable[dict[str, Any]],
    issues: Iterable[dict[str, Any]],
    kind_bodies: Iterable[dict[str, Any]],
    *,
    jira_base_url: str | None,
    blueprints: Mapping[str, dict[str, Any]],
) -> Entities:
    """The entities the mapping makes of ``projects``, ``issues`` (REST v2 shapes) and the kinds' webhook
    bodies, by blueprint; relations given as search queries resolved as Port resolves them."""
    expected: Entities = {}
    bodies = [project_event(p, 0) for p in projects] + [issue_event(i, 0) for i in issues]
    for body in [*bodies, *kind_bodies]:
        for action in mapping.evaluate(body, BACKFILL_HEADERS, {}, jira_base_url=jira_base_url):
            if action.operation == "upsert":
                expected.setdefault(action.blueprint, {})[action.identifier] = action.entity
    return resolve_all(expected, blueprints)


def differences(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> list[str]:
    """What ``actual`` (a Port entity) gets wrong about ``expected`` (a mapped entity), field by field."""
    found = []
    if "title" in expected and expected["title"] != actual.get("title"):
        found.append("title")
    for section in ("properties", "relations"):
        want: Mapping[str, Any] = expected.get(section) or {}
        have: Mapping[str, Any] = actual.get(section) or {}
        found.extend(f"{section}.{key}" for key, value in want.items() if have.get(key) != value)
    return found


@dataclass
class BlueprintCheck:
    """One blueprint's comparison."""

    blueprint: str
    in_jira: int
    in_port: int
    missing: list[str] = field(default_factory=list)  # mapped from Jira, absent from Port
    extra: list[str] = field(default_factory=list)  # in Port, no longer in Jira
    different: dict[str, list[str]] = field(default_factory=dict)  # identifier -> differing fields

    @property
    def ok(self) -> bool:
        return not (self.missing or self.extra or self.different)

    def describe(self) -> str:
        """``none``, or the counts with a few identifiers."""
        if self.ok:
            return "none"
        parts = []
        for label, ids in (("missing", self.missing), ("extra", self.extra)):
            if ids:
                parts.append(f"{len(ids)} {label} ({', '.join(ids[:MAX_EXAMPLES])})")
        if self.different:
            shown = [f"{i}: {', '.join(f[:3])}" for i, f in list(self.different.items())[:MAX_EXAMPLES]]
            parts.append(f"{len(self.different)} different ({'; '.join(shown)})")
        return "; ".join(parts)


def compare(expected: Entities, port: Entities) -> list[BlueprintCheck]:
    """Port's entities against the expected ones, blueprint by blueprint (sorted by identifier)."""
    checks = []
    for blueprint in sorted(expected, key=lambda bp: (bp != "jiraProject", bp)):
        want, have = expected[blueprint], port.get(blueprint, {})
        check = BlueprintCheck(blueprint, len(want), len(have))
        check.missing = sorted(set(want) - set(have))
        check.extra = sorted(set(have) - set(want))
        for identifier in sorted(set(want) & set(have)):
            fields = differences(want[identifier], have[identifier])
            if fields:
                check.different[identifier] = fields
        checks.append(check)
    return checks
