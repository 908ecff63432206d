"""Blueprint definitions: validation of create/replace bodies as Port's routes do."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from jira_port_emulators.port.errors import ApiError, invalid, not_found
from jira_port_emulators.port.rules import (
    PROPERTY_FORMATS,
    PROPERTY_TYPES,
    is_blueprint_identifier,
    is_property_key,
)

_KEYED_SECTIONS = ("mirrorProperties", "calculationProperties", "aggregationProperties")
_STORED_KEYS = ("identifier", "title", "description", "icon", "ownership", "changelogDestination")
META_KEYS = ("createdAt", "createdBy", "updatedAt", "updatedBy")


def _check_properties(properties: Any) -> None:
    if not isinstance(properties, dict):
        raise invalid("schema.properties must be an object")
    for key, prop in properties.items():
        if not is_property_key(key):
            raise invalid(f"property identifier {key!r} does not match ^[A-Za-z0-9@_=\\\\-]+$")
        if not isinstance(prop, dict) or prop.get("type") not in PROPERTY_TYPES:
            raise invalid(f"property {key!r} needs a type in {sorted(PROPERTY_TYPES)}")
        if "format" in prop and prop["format"] not in PROPERTY_FORMATS:
            raise invalid(f"property {key!r} has an unknown format {prop['format']!r}")
        if "enum" in prop and not isinstance(prop["enum"], list):
            raise invalid(f"property {key!r}: enum must be an array")
        if "title" in prop and (not isinstance(prop["title"], str) or len(prop["title"]) > 100):
            raise invalid(f"property {key!r}: title must be a string of at most 100 characters")


def _check_schema(schema: Any) -> dict[str, Any]:
    if not isinstance(schema, dict):
        raise invalid("schema must be an object")
    extra = set(schema) - {"properties", "required"}
    if extra:
        raise invalid(f"schema has unknown keys {sorted(extra)}")
    if "properties" not in schema:
        raise invalid("schema.properties is required")
    _check_properties(schema["properties"])
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        raise invalid("schema.required must be an array of strings")
    missing = [r for r in required if r not in schema["properties"]]
    if missing:
        raise invalid(f"schema.required names unknown properties {missing}")
    return {"properties": copy.deepcopy(schema["properties"]), "required": list(required)}


def _check_relations(relations: Any, own_id: str, known: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(relations, dict):
        raise invalid("relations must be an object")
    for key, rel in relations.items():
        if not is_property_key(key):
            raise invalid(f"relation identifier {key!r} does not match ^[A-Za-z0-9@_=\\\\-]+$")
        if not isinstance(rel, dict) or not all(k in rel for k in ("target", "required", "many")):
            raise invalid(f"relation {key!r} needs target, required and many")
        if not isinstance(rel["required"], bool) or not isinstance(rel["many"], bool):
            raise invalid(f"relation {key!r}: required and many must be booleans")
        if rel["target"] != own_id and rel["target"] not in known:
            raise not_found(f"relation {key!r} targets blueprint {rel['target']!r}, which does not exist")
    return copy.deepcopy(relations)


def validate_blueprint(body: Any, path_id: str | None, known: Mapping[str, Any]) -> dict[str, Any]:
    """Check a create (``path_id`` None) or replace body; return the definition to store."""
    if not isinstance(body, dict):
        raise invalid("body must be a JSON object")
    ident = body.get("identifier", path_id)
    if path_id is not None and ident != path_id:
        raise invalid("the identifier in the body differs from the one in the path")
    if not is_blueprint_identifier(ident):
        raise invalid("identifier must match ^(?!\\.{1,2}$)[\\p{L}0-9@_.+:\\\\/-]+$ (max 100)")
    title = body.get("title")
    if not isinstance(title, str) or not 1 <= len(title) <= 100:
        raise invalid("title is required (1 to 100 characters)")
    if "description" in body and (not isinstance(body["description"], str) or len(body["description"]) > 200):
        raise invalid("description must be a string of at most 200 characters")
    if "schema" not in body:
        raise invalid("schema is required")
    stored: dict[str, Any] = {k: copy.deepcopy(body[k]) for k in _STORED_KEYS if k in body}
    stored["identifier"] = ident
    stored["schema"] = _check_schema(body["schema"])
    stored["relations"] = _check_relations(body.get("relations", {}), str(ident), known)
    for section in _KEYED_SECTIONS:
        value = body.get(section, {})
        if not isinstance(value, dict):
            raise invalid(f"{section} must be an object")
        stored[section] = copy.deepcopy(value)
    for key, mirror in stored["mirrorProperties"].items():
        path = mirror.get("path") if isinstance(mirror, dict) else None
        if not isinstance(path, str) or path.split(".", 1)[0] not in stored["relations"]:
            raise invalid(
                f"mirror property {key!r} must start its path with one of the blueprint's relations"
            )
    return stored


def format_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Properties whose type or format changes between two definitions."""
    before, after = old["schema"]["properties"], new["schema"]["properties"]
    return [
        key
        for key, prop in after.items()
        if key in before
        and (prop.get("type"), prop.get("format")) != (before[key].get("type"), before[key].get("format"))
    ]


def forbidden_format_change(key: str) -> ApiError:
    """Port's refusal to change a property's type or format while entities hold values."""
    return ApiError(422, "forbidden_format_change", f"cannot change the type or format of property {key!r}")
