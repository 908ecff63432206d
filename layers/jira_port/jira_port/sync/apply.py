"""``apply_actions``: the one write path to Port, for live events and the backfill.

Actions are cut into *runs* of consecutive actions with the same operation, applied in order, so a
mixed list keeps its order (an upsert followed by a delete of the same entity ends deleted). Inside
a run, upserts are grouped by blueprint into bulk requests and deletes by blueprint (and
``delete_dependents``) into bulk deletes; blueprints are handled in order of first appearance.

Two upserts of the same entity in one run are combined into one entity placed where the last one
was: later fields win, ``properties`` and ``relations`` are merged key by key, which is exactly what
applying both with ``merge=true`` would leave in Port.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from jira_port.actions import Action
from jira_port.observability import logger
from jira_port.port.bulk import entity_label
from jira_port.port.client import PortClient
from jira_port.port.errors import EntityFailure

_MERGED_SECTIONS = ("properties", "relations")
_LOGGED_FAILURES = 20


@dataclass(slots=True)
class ApplyResult:
    """What ``apply_actions`` achieved. ``already_gone`` counts deletes of absent entities."""

    upserted: int = 0
    deleted: int = 0
    failures: list[EntityFailure] = field(default_factory=list)
    retried: int = 0
    already_gone: int = 0

    @property
    def ok(self) -> bool:
        """True when every action was applied."""
        return not self.failures

    @property
    def transient_failures(self) -> list[EntityFailure]:
        """Failures worth retrying later (throttling, server errors, no answer)."""
        return [f for f in self.failures if f.transient]


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
    steps: list[UpsertGroup | DeleteGroup] = []
    for operation, run in groupby(actions, key=lambda a: a.operation):
        batch = list(run)
        if operation == "upsert":
            steps.extend(_upsert_groups(batch))
        else:
            steps.extend(_delete_groups(batch))
    return steps


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
    """Write ``actions`` to Port; per-entity failures are returned, never raised."""
    result = ApplyResult()
    for step in plan(actions):
        if isinstance(step, UpsertGroup):
            bulk = port.upsert_entities(step.blueprint, step.entities)
            result.upserted += len(bulk.succeeded)
        else:
            bulk = port.delete_entities(
                step.blueprint, step.identifiers, delete_dependents=step.delete_dependents
            )
            result.deleted += len(bulk.succeeded)
            result.already_gone += len(bulk.absent)
        result.failures.extend(bulk.failures)
        result.retried += bulk.retried
    for failure in result.failures[:_LOGGED_FAILURES]:
        logger.warning("Port write failed", extra={"failure": failure.to_json()})
    if len(result.failures) > _LOGGED_FAILURES:
        logger.warning(
            "more Port writes failed", extra={"not_logged": len(result.failures) - _LOGGED_FAILURES}
        )
    return result
