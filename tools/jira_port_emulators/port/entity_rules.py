"""How an entity write becomes a stored entity, and the blueprint checks it must pass first."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jira_port_emulators.port.errors import ApiError, invalid, invalid_entity, not_found
from jira_port_emulators.port.relation_search import query_problem, resolve
from jira_port_emulators.port.rules import is_entity_identifier, is_property_key, value_problem

if TYPE_CHECKING:
    from jira_port_emulators.port.store import PortStore

IDENTIFIER_PATTERN = r"^(?!\.{1,2}$)[\p{L}0-9@_.+:\\/=-]+$"
_META = ("createdAt", "createdBy", "updatedAt", "updatedBy", "blueprint")


@dataclass(slots=True)
class Candidate:
    """The entity as it would be stored, and the record it replaces (None on create)."""

    entity: dict[str, Any]
    previous: dict[str, Any] | None


def _relation_value_ok(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return is_entity_identifier(value)
    return isinstance(value, list) and all(isinstance(v, str) and is_entity_identifier(v) for v in value)


def check_shape(body: Any, where: str = "body") -> None:
    """The route's JSON schema, which Port checks before anything else (a bad bulk item fails the
    whole request). ``null`` title/icon are tolerated here and mean "unset"."""
    if not isinstance(body, dict):
        raise invalid(f"{where} must be an object")
    ident = body.get("identifier")
    if not isinstance(ident, dict) and not is_entity_identifier(ident):
        raise invalid(f"{where}/identifier must match {IDENTIFIER_PATTERN} (at most 1000 characters)")
    for key in ("title", "icon"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise invalid(f"{where}/{key} must be a string")
    for key in ("properties", "relations"):
        if key in body and not isinstance(body[key], dict):
            raise invalid(f"{where}/{key} must be an object")
    for rel_id, value in (body.get("relations") or {}).items():
        if isinstance(value, dict):
            problem = query_problem(value, f"{where}/relations/{rel_id}")
            if problem is not None:
                raise invalid(problem)
        elif not _relation_value_ok(value):
            raise invalid(
                f"{where}/relations/{rel_id} must be an identifier, an array of identifiers or null"
            )


def _identifier(body: dict[str, Any]) -> str:
    ident = body.get("identifier")
    if isinstance(ident, dict):
        raise invalid("search-query identifiers are not supported by the local Port emulator")
    if not is_entity_identifier(ident):
        raise invalid(f"identifier must match {IDENTIFIER_PATTERN} (at most 1000 characters)")
    assert isinstance(ident, str)
    return ident


def _team(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(t, str) for t in value):
        return list(value)
    raise invalid("team must be a string or an array of strings")


def _apply_fields(entity: dict[str, Any], body: dict[str, Any], *, merge: bool) -> None:
    for key in ("title", "icon"):
        if key not in body:
            continue
        if body[key] is not None and not isinstance(body[key], str):
            raise invalid(f"{key} must be a string")
        entity[key] = body[key]
        if body[key] is None:
            del entity[key]
    if "team" in body:
        entity["team"] = _team(body["team"])
    for section in ("properties", "relations"):
        if section not in body:
            continue
        value = body[section]
        if not isinstance(value, dict):
            raise invalid(f"{section} must be an object")
        entity[section] = {**entity[section], **copy.deepcopy(value)} if merge else copy.deepcopy(value)


def build_candidate(
    blueprint: dict[str, Any],
    body: Any,
    existing: dict[str, dict[str, Any]],
    *,
    upsert: bool,
    merge: bool,
) -> Candidate:
    """The entity a write would store: plain create (409 if it exists), replace, or merge."""
    check_shape(body)
    assert isinstance(body, dict)
    if "blueprint" in body and body["blueprint"] != blueprint["identifier"]:
        raise invalid(f"entity blueprint {body['blueprint']!r} differs from the route's blueprint")
    ident = _identifier(body)
    previous = existing.get(ident)
    if previous is not None and not upsert:
        raise ApiError(
            409, "conflict", f"entity {ident!r} already exists in blueprint {blueprint['identifier']!r}"
        )
    if previous is not None and merge:
        entity = {k: copy.deepcopy(v) for k, v in previous.items() if k not in _META}
    else:
        entity = {"identifier": ident, "team": [], "properties": {}, "relations": {}}
    _apply_fields(entity, body, merge=previous is not None and merge)
    return Candidate(entity, previous)


def _relation_ids(rel_id: str, rel: dict[str, Any], value: Any) -> list[str]:
    if value is None:
        return []
    if rel["many"]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise invalid_entity(f"relation {rel_id!r} is a many relation and takes an array of identifiers")
        ids = value
    elif isinstance(value, str):
        ids = [value]
    else:
        raise invalid_entity(f"relation {rel_id!r} takes a single identifier")
    for target_id in ids:
        if not is_entity_identifier(target_id):
            raise invalid_entity(f"relation {rel_id!r}: {target_id!r} is not a valid identifier")
    return ids


def _check_properties(blueprint: dict[str, Any], properties: dict[str, Any]) -> None:
    schema, bp = blueprint["schema"], blueprint["identifier"]
    for key, value in properties.items():
        if not is_property_key(key):
            raise invalid(f"property key {key!r} does not match ^[A-Za-z0-9@_=\\\\-]+$")
        if key not in schema["properties"]:
            raise invalid_entity(f"property {key!r} is not defined in blueprint {bp!r}")
        problem = value_problem(key, schema["properties"][key], value)
        if problem is not None:
            raise invalid_entity(problem)
    for key in schema.get("required", []):
        if properties.get(key) is None:
            raise invalid_entity(f"required property {key!r} is missing")


def check_candidate(
    store: PortStore, blueprint: dict[str, Any], candidate: Candidate, *, create_missing: bool
) -> list[tuple[str, str]]:
    """Validate against the blueprint; return the missing relation targets to create bare."""
    entity, bp = candidate.entity, blueprint["identifier"]
    _check_properties(blueprint, entity["properties"])
    missing: list[tuple[str, str]] = []
    for rel_id, given in entity["relations"].items():
        rel = blueprint["relations"].get(rel_id)
        if rel is None:
            raise invalid_entity(f"relation {rel_id!r} is not defined in blueprint {bp!r}")
        value = given
        if isinstance(given, dict):  # Port stores what the search query finds
            value = entity["relations"][rel_id] = resolve(
                rel_id, rel, given, store.entities.get(rel["target"], {})
            )
        for target_id in _relation_ids(rel_id, rel, value):
            target_bp = rel["target"]
            is_self = target_bp == bp and target_id == entity["identifier"]
            if is_self or target_id in store.entities.get(target_bp, {}):
                continue
            if not create_missing:
                raise not_found(f"related entity {target_id!r} of blueprint {target_bp!r} was not found")
            if (target_bp, target_id) not in missing:
                missing.append((target_bp, target_id))
    for rel_id, rel in blueprint["relations"].items():
        if rel["required"] and not entity["relations"].get(rel_id):
            raise invalid_entity(f"required relation {rel_id!r} is missing")
    return missing
