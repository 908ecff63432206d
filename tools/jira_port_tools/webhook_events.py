"""Which Jira webhook events a mapping needs: ``register-webhook`` subscribes to exactly those.

A rule's filter names its events as string literals compared with ``.body.webhookEvent``
(``.body.webhookEvent == "jira:issue_deleted"``, ``.body.webhookEvent | IN("project_created", ...)``).
Rules that only select backfill events (``.headers."x-jira-port-source" == "backfill"``) need no
subscription. When a rule selects live events without naming them (``filter: true``, a ``test(...)``,
only ``!=`` comparisons), the events cannot be derived and the issue and project events jira-port has
always registered are used instead, with a note saying so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jira_port.backfill.mapper import BACKFILL_SOURCE
from jira_port.mapping import SOURCE_HEADER
from jira_port_tools.jira_webhooks import (
    CLOUD_PROJECT_EVENTS,
    ISSUE_EVENTS,
    SERVER_PROJECT_EVENTS,
    webhook_events,
)

if TYPE_CHECKING:
    from jira_port.mapping import CompiledMapping
    from jira_port.mapping.model import Rule

_EVENT = r"\.body\.webhookEvent"
_EQUALS = re.compile(rf'{_EVENT}\s*==\s*"([^"]+)"|"([^"]+)"\s*==\s*{_EVENT}')
_IN = re.compile(rf"{_EVENT}\s*\|\s*IN\(([^)]*)\)")
_LITERAL = re.compile(r'"([^"]+)"')
_BACKFILL_ONLY = re.compile(
    rf'^\s*\.headers\."{re.escape(SOURCE_HEADER)}"\s*==\s*"{BACKFILL_SOURCE}"\s*and\b'
)
# Events the admin webhook offers besides the issue and project ones. Cloud: the "Available webhook
# events" catalog of Atlassian's webhook docs (a merge arrives as jira:version_deleted there; component
# events are not offered). Data Center: its admin UI and REST docs (no project trash or archive events).
_AGILE_AND_USERS = frozenset(
    {"jira:version_released", "jira:version_unreleased", "jira:version_created", "jira:version_moved",
     "jira:version_updated", "jira:version_deleted", "user_created", "user_updated", "user_deleted",
     "sprint_created", "sprint_updated", "sprint_started", "sprint_closed", "sprint_deleted",
     "board_created", "board_updated", "board_deleted", "board_configuration_changed"}
)  # fmt: skip
_COMMON_OTHER = frozenset(
    {"comment_created", "comment_updated", "comment_deleted", "worklog_created", "worklog_updated",
     "worklog_deleted", "issuelink_created", "issuelink_deleted", "attachment_created", "attachment_deleted"}
)  # fmt: skip
_CLOUD_OTHER = _AGILE_AND_USERS | _COMMON_OTHER | frozenset(
    {"issue_property_set", "issue_property_deleted", "issuetype_created", "issuetype_updated",
     "issuetype_deleted", "filter_created", "filter_updated", "filter_deleted", "project_archived",
     "project_restored_archived", "project_restored_deleted"}
)  # fmt: skip
_SERVER_OTHER = _AGILE_AND_USERS | _COMMON_OTHER | frozenset({"jira:version_merged"})


@dataclass(frozen=True, slots=True)
class DerivedEvents:
    """The events to register, and a note when they were not (entirely) derived from the mapping."""

    events: list[str]
    note: str | None = None


def rule_events(rule: Rule) -> set[str] | None:
    """The live events ``rule`` can select: ``set()`` for a backfill-only rule, ``None`` when unknown."""
    if rule.filter is None:
        return None
    program = rule.filter.program
    named = {a or b for a, b in _EQUALS.findall(program)}
    for listed in _IN.findall(program):
        named.update(_LITERAL.findall(listed))
    if named:
        return named
    return set() if _BACKFILL_ONLY.match(program) else None


def derive_events(mapping: CompiledMapping, deployment: str) -> DerivedEvents:
    """The Jira events ``mapping``'s filters can match on ``deployment`` (``cloud`` or ``server``)."""
    needed: set[str] = set()
    for rule in mapping.rules:
        events = rule_events(rule)
        if events is None:
            return DerivedEvents(
                webhook_events(deployment),
                f"{rule.label}'s filter does not name the webhookEvent values it selects: registering "
                "the issue and project events",
            )
        needed |= events
    cloud = deployment == "cloud"
    known = [*ISSUE_EVENTS, *(CLOUD_PROJECT_EVENTS if cloud else SERVER_PROJECT_EVENTS)]
    supported = set(known) | (_CLOUD_OTHER if cloud else _SERVER_OTHER)
    kept = sorted(needed & supported, key=lambda e: (known.index(e) if e in known else len(known), e))
    dropped = sorted(needed - supported)
    flavour = "Jira Cloud" if cloud else "Jira Data Center"
    note = f"not offered by {flavour} webhooks, left out: {', '.join(dropped)}" if dropped else None
    return (
        DerivedEvents(kept, note)
        if kept
        else DerivedEvents(webhook_events(deployment), "no rule selects live events")
    )
