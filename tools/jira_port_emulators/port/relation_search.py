"""Relations given as a search query (Port's def-6 ``searchRelationsQuerySchema``).

Port resolves the query against the relation's target blueprint when it writes the entity and stores
the identifiers it found (docs: configure-mapping.md "Mapping relations using search queries"). What the
docs leave open is emulated strictly (docs/port-behaviour.md): a single relation needs exactly one match
(none: 404 ``not_found``, several: 422), a many relation takes at most ``MAX_MATCHES``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jira_port_emulators.port.errors import invalid_entity, not_found
from jira_port_emulators.port.search import matches

MAX_MATCHES = 500  # configure-mapping.md, Limitations: "the maximum number of entities returned"
_RULE_KEYS = frozenset({"property", "operator", "value"})


def _value_ok(operator: Any, value: Any) -> bool:
    match operator:
        case "=":
            return value is None or (isinstance(value, str | int | float) and not isinstance(value, bool))
        case "in" | "containsAny":
            return isinstance(value, list) and all(isinstance(v, str) for v in value)
        case "contains":
            return (
                value is None
                or isinstance(value, str)
                or (isinstance(value, list) and all(isinstance(v, str) for v in value))
            )
    return False


def _rule_problem(rule: Any, at: str) -> str | None:
    if isinstance(rule, dict) and "combinator" in rule:
        return query_problem(rule, at)
    if not isinstance(rule, dict) or set(rule) != _RULE_KEYS or not isinstance(rule["property"], str):
        return f"{at} must have exactly property (a string), operator and value"
    if rule["operator"] not in ("=", "in", "containsAny", "contains"):
        return f"{at}/operator must be one of '=', 'in', 'containsAny', 'contains'"
    if not _value_ok(rule["operator"], rule["value"]):
        return f"{at}/value does not suit the operator {rule['operator']!r}"
    return None


def query_problem(query: Any, where: str) -> str | None:
    """Why ``query`` is not a def-6 search query (combinator and rules; ``=``, ``in``/``containsAny``,
    ``contains``; nested queries), or None."""
    if not isinstance(query, dict) or set(query) != {"combinator", "rules"}:
        return f"{where} must be identifiers, null or a search query {{combinator, rules}}"
    if query["combinator"] not in ("and", "or"):
        return f"{where}/combinator must be 'and' or 'or'"
    if not isinstance(query["rules"], list):
        return f"{where}/rules must be an array"
    problems = (_rule_problem(rule, f"{where}/rules/{n}") for n, rule in enumerate(query["rules"]))
    return next((p for p in problems if p is not None), None)


def _searchable(query: dict[str, Any]) -> dict[str, Any]:
    """The query in the search evaluator's terms: ``contains`` with an array needs every element."""
    rules: list[Any] = []
    for rule in query["rules"]:
        if "combinator" in rule:
            rules.append(_searchable(rule))
        elif rule["operator"] == "contains" and isinstance(rule["value"], list):
            parts = [{**rule, "value": v} for v in rule["value"]]
            rules.append({"combinator": "and", "rules": parts})
        elif rule["operator"] == "contains" and rule["value"] is None:
            rules.append({**rule, "operator": "isEmpty"})
        else:
            rules.append(rule)
    return {"combinator": query["combinator"], "rules": rules}


def resolve(
    rel_id: str, rel: dict[str, Any], query: dict[str, Any], targets: Mapping[str, dict[str, Any]]
) -> str | list[str]:
    """The identifier(s) of the ``rel["target"]`` entities in ``targets`` that ``query`` matches."""
    target_bp, searchable = rel["target"], _searchable(query)
    found = [
        ident for ident in sorted(targets) if matches({**targets[ident], "blueprint": target_bp}, searchable)
    ]
    if rel["many"]:
        if len(found) > MAX_MATCHES:
            raise invalid_entity(
                f"relation {rel_id!r}: the search query matches {len(found)} entities of blueprint "
                f"{target_bp!r}; at most {MAX_MATCHES} are allowed"
            )
        return found
    if not found:
        raise not_found(f"relation {rel_id!r}: no entity of blueprint {target_bp!r} matches the search query")
    if len(found) > 1:
        raise invalid_entity(
            f"relation {rel_id!r} is a single relation and its search query matches {len(found)} entities "
            f"of blueprint {target_bp!r}"
        )
    return found[0]


def resolve_all(
    expected: dict[str, dict[str, dict[str, Any]]], blueprints: Mapping[str, dict[str, Any]]
) -> dict[str, dict[str, dict[str, Any]]]:
    """``expected`` (mapped entities by blueprint and identifier) with each relation search query
    replaced by what Port finds among the expected entities of the relation's target blueprint."""
    for bp, entities in expected.items():
        for entity in entities.values():
            for rel_id, value in (entity.get("relations") or {}).items():
                if isinstance(value, dict):
                    rel = blueprints[bp]["relations"][rel_id]
                    entity["relations"][rel_id] = resolve(rel_id, rel, value, expected.get(rel["target"], {}))
    return expected
