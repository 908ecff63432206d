"""The bundled blueprints and how they are applied to Port idempotently.

Blueprints relate to each other (``jiraIssue.project`` → ``jiraProject``) and to themselves
(``jiraIssue.parentIssue``), and a relation's target must exist when it is created. So blueprints
are created in dependency order, and relations whose target does not exist yet (including a
blueprint's relation to itself) are added in a second pass with ``PUT``.

Updates merge: properties and relations that exist in Port but not in the bundled definition (added
by a user) are kept; the bundled definition wins where both define something.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from jira_port.blueprints import bundled_blueprints, validate_definition
from jira_port.port import PortClient
from jira_port_tools.port_admin import create_blueprint, get_blueprint, update_blueprint

__all__ = [
    "BlueprintChange",
    "apply_blueprints",
    "bundled_blueprints",
    "covers",
    "dependency_order",
    "first_stage",
    "merged_definition",
    "validate_definition",
]

BlueprintOutcome = Literal["created", "updated", "unchanged"]

# Keys Port adds to stored blueprints; never sent back.
_META_KEYS = frozenset({"createdAt", "updatedAt", "createdBy", "updatedBy"})
# Definition sections keyed by identifier: merged entry by entry on update.
_KEYED_SECTIONS = ("relations", "mirrorProperties", "calculationProperties", "aggregationProperties")
# Sections that may refer to relations and so wait for the second pass with them.
_RELATION_DEPENDENT = ("mirrorProperties", "calculationProperties", "aggregationProperties")


@dataclass(frozen=True, slots=True)
class BlueprintChange:
    """The outcome of applying one blueprint definition."""

    identifier: str
    outcome: BlueprintOutcome


def dependency_order(definitions: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Relation targets first (among ``definitions``); self-relations and cycles keep input order."""
    by_id = {d["identifier"]: d for d in definitions}
    ordered: list[dict[str, Any]] = []
    state: dict[str, str] = {}

    def visit(ident: str) -> None:
        if state.get(ident):
            return  # done, or in progress (a cycle: its relations wait for the second pass)
        state[ident] = "visiting"
        for rel in (by_id[ident].get("relations") or {}).values():
            target = rel.get("target")
            if target in by_id and target != ident:
                visit(target)
        state[ident] = "done"
        ordered.append(by_id[ident])

    for definition in definitions:
        visit(definition["identifier"])
    return ordered


def first_stage(definition: dict[str, Any], existing: set[str]) -> dict[str, Any]:
    """``definition`` without relations to blueprints that do not exist yet (nor to itself)."""
    ident = definition["identifier"]
    relations = definition.get("relations") or {}
    ready = {k: v for k, v in relations.items() if v.get("target") in existing and v.get("target") != ident}
    if len(ready) == len(relations):
        return definition
    stage = {k: v for k, v in definition.items() if k not in _RELATION_DEPENDENT}
    stage["relations"] = ready
    return stage


def merged_definition(current: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
    """What to ``PUT``: Port's current definition with the bundled one laid over it."""
    merged = {k: v for k, v in current.items() if k not in _META_KEYS}
    for key, value in desired.items():
        if key == "schema":
            old = current.get("schema") or {}
            props = {**(old.get("properties") or {}), **(value.get("properties") or {})}
            required = list(dict.fromkeys([*(old.get("required") or []), *(value.get("required") or [])]))
            merged["schema"] = {
                **old,
                **value,
                "properties": props,
                "required": [r for r in required if r in props],
            }
        elif key in _KEYED_SECTIONS and isinstance(value, dict):
            merged[key] = {**(current.get(key) or {}), **value}
        else:
            merged[key] = value
    return merged


def covers(actual: Any, desired: Any) -> bool:
    """True when ``actual`` (from Port) already holds everything ``desired`` says.

    Keys Port adds are ignored; an empty section matches a missing one; lists of strings compare as
    sets, and ``required`` as a subset (the update keeps what a user made required, see
    ``merged_definition``, so more there is still covered).
    """
    if isinstance(desired, dict | list) and not desired and not actual:
        return True
    if isinstance(desired, dict):
        return isinstance(actual, dict) and all(
            _covers_required(actual.get(k), v) if k == "required" else covers(actual.get(k), v)
            for k, v in desired.items()
        )
    if isinstance(desired, list):
        return _covers_list(actual, desired)
    if isinstance(desired, bool) or isinstance(actual, bool):
        return actual is desired
    return bool(actual == desired)


def _covers_required(actual: Any, desired: Any) -> bool:
    if isinstance(actual, list) and isinstance(desired, list):
        return set(map(str, desired)) <= set(map(str, actual))
    return covers(actual, desired)


def _covers_list(actual: Any, desired: list[Any]) -> bool:
    if not isinstance(actual, list) or len(actual) != len(desired):
        return False
    if all(isinstance(x, str) for x in desired + actual):
        return sorted(desired) == sorted(actual)
    return all(covers(a, d) for a, d in zip(actual, desired, strict=True))


def apply_blueprints(
    client: PortClient, definitions: Sequence[dict[str, Any]], *, dry_run: bool = False
) -> list[BlueprintChange]:
    """Create missing blueprints and update changed ones; report each as created/updated/unchanged.

    Idempotent: a second run reports every blueprint ``unchanged`` and sends no writes.
    ``dry_run`` reads Port but writes nothing.
    """
    for definition in definitions:
        validate_definition(definition, str(definition.get("identifier", "?")))
    ordered = dependency_order(definitions)
    current = {d["identifier"]: get_blueprint(client, d["identifier"]) for d in ordered}
    existing = {ident for ident, found in current.items() if found is not None}
    outcomes: dict[str, BlueprintChange] = {}
    second_pass: list[dict[str, Any]] = []
    for definition in ordered:
        ident = definition["identifier"]
        found = current[ident]
        if found is None:
            stage = first_stage(definition, existing)
            if not dry_run:
                create_blueprint(client, stage)
                if stage is not definition:
                    second_pass.append(definition)
            existing.add(ident)
            outcomes[ident] = BlueprintChange(ident, "created")
        elif covers(found, definition):
            outcomes[ident] = BlueprintChange(ident, "unchanged")
        else:
            if not dry_run:
                update_blueprint(client, merged_definition(found, definition))
            outcomes[ident] = BlueprintChange(ident, "updated")
    for definition in second_pass:
        update_blueprint(client, definition)
    return [outcomes[d["identifier"]] for d in definitions]
