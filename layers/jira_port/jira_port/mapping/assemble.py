"""Turn the raw per-rule jq results into Port actions and warnings (Port's mapping semantics)."""

from __future__ import annotations

import json
from typing import Any

from jira_port.mapping.model import MAX_ITEMS_PER_EVENT, MappingWarning, Rule, Slot, Template
from jira_port.port.types import Action

_MAX_MESSAGE = 300
_STRING_ONLY = ("title", "icon")


def rule_actions(rule: Rule, raw: Any, warnings: list[MappingWarning]) -> list[Action]:
    """The actions one rule yields for one event, given its raw result (see ``programs``)."""
    if rule.items is None:
        return _item_actions(rule, raw, None, warnings)
    if not isinstance(raw, dict):
        warnings.append(_warning(rule, "itemsToParse", f"unexpected result {_short(raw)}"))
        return []
    if "i" in raw:
        result = raw["i"]
        if _is_error(result):
            warnings.append(_warning(rule, "itemsToParse", error_text(result)))
        elif isinstance(result, list) and result and result[0] is not None:
            got = type(result[0]).__name__
            warnings.append(_warning(rule, "itemsToParse", f"must yield an array, got {got}"))
        return []
    count = raw.get("n", 0)
    if isinstance(count, int) and count > MAX_ITEMS_PER_EVENT:
        message = f"{count} items; Port maps at most {MAX_ITEMS_PER_EVENT} per event, the rest are ignored"
        warnings.append(_warning(rule, "itemsToParse", message))
    actions: list[Action] = []
    for item, item_raw in enumerate(raw.get("r", [])):
        actions.extend(_item_actions(rule, item_raw, item, warnings))
    return actions


def _item_actions(rule: Rule, raw: Any, item: int | None, warnings: list[MappingWarning]) -> list[Action]:
    if raw is None:
        return []  # the filter was not literally true
    if not isinstance(raw, list):
        if rule.filter is not None:
            warnings.append(_warning(rule, "filter", error_text(raw), item))
        return []
    if len(raw) != len(rule.fields):  # cannot happen with a validated mapping; never raise on it
        warnings.append(MappingWarning(rule.index, "entity", "", "unexpected jq result; rule skipped", item))
        return []
    values: list[Any] = []
    for jq_field, result in zip(rule.fields, raw, strict=True):
        if type(result) is list:
            values.append(result[0] if result else None)
        else:
            values.append(None)
            warnings.append(
                MappingWarning(rule.index, jq_field.path, jq_field.expression, error_text(result), item)
            )
    entity = {key: _fill(value, values) for key, value in rule.template.items()}
    identifier = _identifier(entity.get("identifier"))
    if identifier is None:
        expression = _expression(rule, "entity.identifier")
        message = f"identifier is {_short(entity.get('identifier'))}; entity skipped"
        warnings.append(MappingWarning(rule.index, "entity.identifier", expression, message, item))
        return []
    entity["identifier"] = identifier
    if rule.operation == "delete":
        return [Action("delete", rule.blueprint, entity, rule.delete_dependents, rule.index)]
    for key in _STRING_ONLY:
        # Port types title and icon as strings: a null is left out, so a merge keeps the stored value.
        if key in entity and entity[key] is None:
            del entity[key]
    return [Action("upsert", rule.blueprint, entity, None, rule.index)]


def _fill(template: Template, values: list[Any]) -> Any:
    if type(template) is Slot:
        return values[template.index]
    if type(template) is dict:
        return {key: _fill(value, values) for key, value in template.items()}
    if type(template) is list:
        return [_fill(value, values) for value in template]
    return template


def _identifier(value: Any) -> str | dict[str, Any] | None:
    """A usable identifier: a non-empty string (numbers are written as strings) or a search query."""
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, dict) and "combinator" in value:
        return value
    return None


def _is_error(result: Any) -> bool:
    return isinstance(result, dict) and "e" in result


def error_text(result: Any) -> str:
    """The message of a field's ``{"e": error}`` result."""
    error = result.get("e") if isinstance(result, dict) else result
    text = error if isinstance(error, str) else f"error({json.dumps(error, default=str)})"
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def _short(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return "empty" if not value.strip() else repr(value[:60])
    text = json.dumps(value, default=str)
    return f"{type(value).__name__} {text[:60]}"


def _expression(rule: Rule, path: str) -> str:
    for jq_field in rule.fields:
        if jq_field.path == path:
            return jq_field.expression
    return "(search query)"


def _warning(rule: Rule, path: str, message: str, item: int | None = None) -> MappingWarning:
    jq_field = rule.filter if path == "filter" else rule.items
    expression = jq_field.expression if jq_field is not None else ""
    return MappingWarning(rule.index, path, expression, message, item)
