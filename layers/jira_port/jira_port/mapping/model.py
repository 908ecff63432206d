"""The validated form of a mapping (rules, their jq fields and entity templates), the events it maps and
their jq input document (Port's ``{body, headers, queryParams}``, never holding credential headers), and
what it maps them to: ``rule_actions`` turns a rule's raw jq result into Port actions and warnings."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal

from jira_port.port.types import Action

#: Port evaluates at most this many ``itemsToParse`` elements per event; the rest are ignored.
MAX_ITEMS_PER_EVENT = 500
#: A rule's field list (or an item's) when one of its fields failed in the program an event runs first
#: (``programs.evaluation_program(isolate=False)``); a string is never a rule's raw result otherwise.
ISOLATE = "__jp_isolate"
#: The program a mapping compiles as it loads, for its first event: the mapping's own (the sync function,
#: the backfill) or its relevance check (the webhook function).
type FirstProgram = Literal["evaluation", "relevance"]


def isolation_needed(out: Any) -> bool:
    """Whether some rule's fields failed in an evaluation program's output (see ``ISOLATE``): the event
    must then run through the isolating program for per-field answers."""
    return isinstance(out, list) and any(
        raw == ISOLATE or (isinstance(raw, dict) and ISOLATE in (raw.get("r") or ())) for raw in out
    )


@dataclass(frozen=True, slots=True)
class JqField:
    """One jq expression of a rule.

    ``path`` names it in messages (``filter``, ``entity.properties.status``, ...), ``expression`` is
    the text as written in the config and ``program`` the text after Port's single-quote rewrite.
    """

    path: str
    expression: str
    program: str


@dataclass(frozen=True, slots=True)
class Slot:
    """A template leaf: the value of ``Rule.fields[index]``."""

    index: int


# A template is a JSON-like structure whose string leaves were jq expressions; each became a Slot.
# Non-string leaves of search queries (numbers, booleans, null) stay literal.
Template = Slot | dict[str, "Template"] | list["Template"] | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Rule:
    """One validated mapping rule (an element of Port's ``mappings`` array)."""

    index: int
    blueprint: str
    operation: Literal["upsert", "delete"]
    delete_dependents: bool | None
    filter: JqField | None
    items: JqField | None
    template: dict[str, Template]
    fields: tuple[JqField, ...] = field(default=())

    @property
    def label(self) -> str:
        """``rule 3 (jiraIssue)``: how messages name the rule."""
        return f"rule {self.index} ({self.blueprint})"


@dataclass(frozen=True, slots=True)
class MappingWarning:
    """Something an event made go wrong in one rule; the rest of the event still maps.

    ``item`` is the ``itemsToParse`` element index when the rule has one.
    """

    rule: int
    field: str
    expression: str
    message: str
    item: int | None = None

    def __str__(self) -> str:
        item = f" item {self.item}," if self.item is not None else ""
        return f"rule {self.rule},{item} {self.field} ({self.expression}): {self.message}"

    def to_log(self) -> dict[str, object]:
        """Structured fields for a log line."""
        out: dict[str, object] = {
            "rule": self.rule,
            "field": self.field,
            "expression": self.expression,
            "problem": self.message,
        }
        if self.item is not None:
            out["item"] = self.item
        return out


@dataclass(frozen=True, slots=True)
class MappingResult:
    """The actions an event maps to, and what went wrong on the way (already logged by ``evaluate``)."""

    actions: list[Action]
    warnings: list[MappingWarning] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Event:
    """One event as ``evaluate_detailed`` takes it (``raw_body``: the JSON text ``body`` was parsed from)."""

    body: Any
    headers: Mapping[str, str] | None = None
    query_params: Mapping[str, str] | None = None
    raw_body: str | None = None


# Never handed to jq: a mapping expression (or its error message) must not be able to leak them.
#: Header that tells backfill events (``backfill``) from live ones (``webhook``); only jira-port sets it.
SOURCE_HEADER = "x-jira-port-source"
#: Credential headers: never queued, logged or shown to the mapping (the one list; names lower-case).
SENSITIVE_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-amz-security-token"}
)
_SENSITIVE_PREFIXES = ("x-hub-signature",)  # X-Hub-Signature and its -256 variant


def sensitive_header(name: str) -> bool:
    """Whether the header ``name`` (any case) carries a credential or a signature."""
    key = name.lower()
    return key in SENSITIVE_HEADERS or key.startswith(_SENSITIVE_PREFIXES)


def build_document(
    body: Any, headers: Mapping[str, str] | None, query_params: Mapping[str, str] | None
) -> dict[str, Any]:
    """Port's jq input ``{body, headers, queryParams}``: header names lower-cased, credentials dropped."""
    clean = {k.lower(): v for k, v in (headers or {}).items() if not sensitive_header(k)}
    return {"body": body, "headers": clean, "queryParams": dict(query_params or {})}


def document_text(document: dict[str, Any], raw_body: str | None = None) -> str:
    """Compact JSON for jq (serialised once per event and shared by every rule); with ``raw_body`` (the
    text ``document["body"]`` was parsed from) that text is spliced in instead of serialising the body."""
    if raw_body is None:
        return json.dumps(document, separators=(",", ":"), default=str)
    rest = json.dumps({k: v for k, v in document.items() if k != "body"}, separators=(",", ":"), default=str)
    return '{"body":' + raw_body + "," + rest[1:]


def data_text(filename: str) -> str:
    """The text of ``jira_port/data/<filename>`` (bundled mappings, sample events, the proof table)."""
    return resources.files("jira_port").joinpath("data", filename).read_text(encoding="utf-8")


def clean_base_url(value: str | None) -> str | None:
    """``JIRA_BASE_URL`` as the mapping sees it (``$jira_base_url``): no trailing slash, empty is None."""
    if value is None:
        return None
    value = value.strip().rstrip("/")
    return value or None


# How a rule's raw jq result (see ``programs``) becomes Port actions and warnings (Port's semantics).
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
