"""The validated form of a mapping (rules, their jq fields and entity templates), the events it maps and
their jq input document (Port's ``{body, headers, queryParams}``, never holding credential headers), and
what it maps them to."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from jira_port.errors import ConfigError
from jira_port.port.types import Action

#: Port evaluates at most this many ``itemsToParse`` elements per event; the rest are ignored.
MAX_ITEMS_PER_EVENT = 500
#: A rule's field list (or an item's) when one of its fields failed in the program an event runs first
#: (``programs.evaluation_program(isolate=False)``); a string is never a rule's raw result otherwise.
ISOLATE = "__jp_isolate"


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
class MappingProblem:
    """One reason a mapping config is invalid."""

    rule: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = [] if self.rule is None else [f"rule {self.rule}"]
        where += [self.field] if self.field else []
        return f"{', '.join(where)}: {self.message}" if where else self.message


class MappingError(ConfigError):
    """The mapping config is invalid. Raised at load time only, never while evaluating an event."""

    def __init__(self, problems: list[MappingProblem], source: str = "mapping") -> None:
        self.problems = problems
        self.source = source
        lines = [str(p) for p in problems]
        if len(lines) == 1:
            text = f"invalid {source}: {lines[0]}"
        else:
            text = f"invalid {source} ({len(lines)} problems):\n  - " + "\n  - ".join(lines)
        super().__init__(text)


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


def clean_base_url(value: str | None) -> str | None:
    """``JIRA_BASE_URL`` as the mapping sees it (``$jira_base_url``): no trailing slash, empty is None."""
    if value is None:
        return None
    value = value.strip().rstrip("/")
    return value or None
