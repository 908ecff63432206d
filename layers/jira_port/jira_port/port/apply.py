"""``apply_actions``: the one write path to Port, for live events and the backfill.

Actions are cut into *runs* of consecutive actions with the same operation, applied in order, so a
mixed list keeps its order (an upsert followed by a delete of the same entity ends deleted). Inside
a run, upserts are grouped by blueprint into bulk requests and deletes by blueprint (and
``delete_dependents``) into bulk deletes; blueprints are handled in order of first appearance.

Two upserts of the same entity in one run are combined into one entity placed where the last one
was: later fields win, ``properties`` and ``relations`` are merged key by key, which is exactly what
applying both with ``merge=true`` would leave in Port.

Moved issues (``moved_away_deletions``, live and backfill): a move changes an issue's key, and the entity
under the old key must go. Jira sends a move as ``jira:issue_updated`` whose changelog has a ``Key`` item
(``fromString`` the old key, ``toString`` the new one) and a ``project`` item. The mapping sees only the new
key, so the entities it would have written under the old key are found by evaluating the same event with the
old key put back, and become deletes. They carry the event ``timestamp`` as version (see ``live.guard``), so
the version guard keeps a tombstone: a late event about the old key (older ``updated``) never resurrects it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from jira_port.observability import logger
from jira_port.port.client import PortClient
from jira_port.port.types import Action, EntityFailure, entity_label

_MERGED_SECTIONS = ("properties", "relations")
_LOGGED_FAILURES = 20


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    """What became of one action: applied (an absent entity's delete counts, ``already_gone``) or failed."""

    action: Action
    failure: EntityFailure | None = None
    already_gone: bool = False

    @property
    def applied(self) -> bool:
        """True when Port now holds what the action asked for."""
        return self.failure is None


@dataclass(slots=True)
class ApplyResult:
    """What ``apply_actions`` achieved: counts, every failure, and one outcome per action, in order.

    ``already_gone`` counts deletes of absent entities.
    """

    upserted: int = 0
    deleted: int = 0
    failures: list[EntityFailure] = field(default_factory=list)
    retried: int = 0
    already_gone: int = 0
    outcomes: list[ActionOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every action was applied."""
        return not self.failures


@dataclass(frozen=True, slots=True)
class UpsertGroup:
    """Entities of one blueprint to upsert in one bulk call (duplicates combined)."""

    blueprint: str
    entities: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class DeleteGroup:
    """Identifiers of one blueprint to delete with the same ``delete_dependents``."""

    blueprint: str
    identifiers: list[str]
    delete_dependents: bool


def plan(actions: Sequence[Action]) -> list[UpsertGroup | DeleteGroup]:
    """The calls ``apply_actions`` makes, in order (pure; exposed for tests and dry runs)."""
    return [step for run in _runs(actions) for step in _groups(run)]


def _runs(actions: Sequence[Action]) -> list[list[Action]]:
    """Consecutive actions with the same operation."""
    return [list(run) for _, run in groupby(actions, key=lambda a: a.operation)]


def _groups(run: list[Action]) -> list[UpsertGroup] | list[DeleteGroup]:
    return _upsert_groups(run) if run[0].operation == "upsert" else _delete_groups(run)


def _upsert_groups(actions: list[Action]) -> list[UpsertGroup]:
    by_blueprint: dict[str, dict[str, dict[str, Any]]] = {}
    for action in actions:
        entities = by_blueprint.setdefault(action.blueprint, {})
        key = entity_label(action.entity)
        previous = entities.pop(key, None)  # re-inserted last: the position of the last occurrence
        entities[key] = action.entity if previous is None else combine(previous, action.entity)
    return [UpsertGroup(bp, list(entities.values())) for bp, entities in by_blueprint.items()]


def _delete_groups(actions: list[Action]) -> list[DeleteGroup]:
    groups: dict[tuple[str, bool], list[str]] = {}
    for action in actions:
        ids = groups.setdefault((action.blueprint, bool(action.delete_dependents)), [])
        if action.identifier not in ids:
            ids.append(action.identifier)
    return [DeleteGroup(bp, ids, dependents) for (bp, dependents), ids in groups.items()]


def combine(earlier: dict[str, Any], later: dict[str, Any]) -> dict[str, Any]:
    """The entity a merge-upsert of ``earlier`` then ``later`` leaves behind."""
    out = {**earlier, **later}
    for section in _MERGED_SECTIONS:
        first, second = earlier.get(section), later.get(section)
        if isinstance(first, dict) and isinstance(second, dict):
            out[section] = {**first, **second}
    return out


def apply_actions(actions: Sequence[Action], port: PortClient) -> ApplyResult:
    """Write ``actions`` to Port; per-entity failures are returned, never raised.

    ``outcomes`` holds one ``ActionOutcome`` per action, in input order: combined duplicates share the
    outcome of the one write they became.
    """
    result = ApplyResult()
    for run in _runs(actions):
        failed: dict[tuple[str, str], EntityFailure] = {}
        gone: set[tuple[str, str]] = set()
        for step in _groups(run):
            if isinstance(step, UpsertGroup):
                bulk = port.upsert_entities(step.blueprint, step.entities)
                result.upserted += len(bulk.succeeded)
            else:
                bulk = port.delete_entities(
                    step.blueprint, step.identifiers, delete_dependents=step.delete_dependents
                )
                result.deleted += len(bulk.succeeded)
                result.already_gone += len(bulk.absent)
                gone.update((step.blueprint, ident) for ident in bulk.absent)
            failed.update(((step.blueprint, f.identifier), f) for f in bulk.failures)
            result.failures.extend(bulk.failures)
            result.retried += bulk.retried
        for action in run:
            key = (action.blueprint, entity_label(action.entity))
            result.outcomes.append(ActionOutcome(action, failed.get(key), already_gone=key in gone))
    for failure in result.failures[:_LOGGED_FAILURES]:
        logger.warning("Port write failed", extra={"failure": failure.to_json()})
    if len(result.failures) > _LOGGED_FAILURES:
        logger.warning(
            "more Port writes failed", extra={"not_logged": len(result.failures) - _LOGGED_FAILURES}
        )
    return result


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
