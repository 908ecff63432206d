"""Port actions: the pure output of the mapping layer and the input of the apply step.

Moved issues (``moved_away_deletions``): a move changes an issue's key, and the entity under the old key
must go. Jira sends a move as ``jira:issue_updated`` whose changelog has a ``Key`` item (``fromString`` the
old key, ``toString`` the new one) and a ``project`` item. The mapping sees only the new key, so the
entities it would have written under the old key are found by evaluating the same event with the old key put
back, and become deletes. They carry the event ``timestamp`` as version (see ``live.guard``), so the version
guard keeps a tombstone: a late event about the old key (older ``updated``) never resurrects it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Operation = Literal["upsert", "delete"]


@dataclass(frozen=True, slots=True)
class Action:
    """One write to Port: upsert an entity, or delete it by identifier.

    ``entity`` holds ``identifier`` and, for upserts, ``title``, ``properties``, ``relations`` and
    optionally ``icon`` and ``team`` exactly as the mapping produced them. ``rule`` is the index of
    the mapping rule that produced the action (for logs and error reports).
    """

    operation: Operation
    blueprint: str
    entity: dict[str, Any]
    delete_dependents: bool | None = None
    rule: int = field(default=0, compare=False)

    @property
    def identifier(self) -> str:
        """The entity identifier (always a non-empty string; the mapping drops the rest)."""
        return str(self.entity["identifier"])

    def to_json(self) -> dict[str, Any]:
        """The CLI / dry-run representation: ``{operation, blueprint, entity, deleteDependents?}``."""
        out: dict[str, Any] = {
            "operation": self.operation,
            "blueprint": self.blueprint,
            "entity": self.entity,
        }
        if self.operation == "delete" and self.delete_dependents is not None:
            out["deleteDependents"] = self.delete_dependents
        return out


def old_keys(body: Mapping[str, Any]) -> list[str]:
    """The keys a ``jira:issue_updated`` event's changelog says the issue had before this change."""
    if body.get("webhookEvent") != "jira:issue_updated":
        return []
    changelog = body.get("changelog")
    items = changelog.get("items") if isinstance(changelog, Mapping) else None
    keys: list[str] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping):
            continue
        name = str(item.get("fieldId") or item.get("field") or "").lower()
        old = item.get("fromString")
        if name in ("key", "issuekey") and isinstance(old, str) and old and old not in keys:
            keys.append(old)
    return keys


def moved_away_deletions(
    evaluate: Callable[[dict[str, Any]], list[Action]], body: Mapping[str, Any], actions: list[Action]
) -> list[Action]:
    """Deletes of the entities ``evaluate`` (the mapping, bound to the event's headers) writes for the
    issue's old key(s), unless ``actions`` still write them. Used by the live path and the backfill."""
    keys = old_keys(body)
    issue = body.get("issue")
    if not keys or not isinstance(issue, Mapping):
        return []
    kept = {(a.blueprint, a.identifier) for a in actions if a.operation == "upsert"}
    deletions: dict[tuple[str, str], Action] = {}
    for key in keys:
        before = copy.deepcopy(dict(body))
        before["issue"]["key"] = key
        for action in evaluate(before):
            ident = (action.blueprint, action.identifier)
            if action.operation == "upsert" and ident not in kept:
                deletions[ident] = Action(
                    "delete", action.blueprint, {"identifier": action.identifier}, False
                )
    return list(deletions.values())
