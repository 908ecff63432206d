"""``CompiledMapping``: evaluate a validated mapping against a Jira event with one jq run."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jira_port.actions import Action
from jira_port.mapping import programs
from jira_port.mapping.assemble import rule_actions
from jira_port.mapping.checks import field_problems
from jira_port.mapping.model import (
    MAX_ITEMS_PER_EVENT,
    JqField,
    MappingError,
    MappingProblem,
    MappingWarning,
    Rule,
)
from jira_port.observability import logger

# Never handed to jq: a mapping expression (or its error message) must not be able to leak them.
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})


@dataclass(frozen=True, slots=True)
class MappingResult:
    """The actions an event maps to, and what went wrong on the way (already logged by ``evaluate``)."""

    actions: list[Action]
    warnings: list[MappingWarning] = field(default_factory=list)


class _PerThread(threading.local):
    """Compiled jq programs of this thread.

    A ``jq`` program object keeps one interpreter state; used from two threads at once, it compiles a
    new one for every call (milliseconds), so each thread compiles its own once.
    """

    def __init__(self) -> None:
        self.programs: dict[tuple[str, str | None], Any] = {}


class CompiledMapping:
    """A validated mapping whose rules run as one jq program per event.

    Build with ``load_mapping`` / ``load_mapping_text``. Thread-safe; programs are compiled lazily
    per thread and per ``jira_base_url``.
    """

    def __init__(self, rules: tuple[Rule, ...], source: str = "mapping") -> None:
        self.rules = rules
        self.source = source
        self.program_text = programs.evaluation_program(rules)
        self.relevance_text = programs.relevance_program(rules)
        self._local = _PerThread()
        for text in (self.program_text, self.relevance_text):
            try:
                self._program(text, None)
            except ValueError as exc:
                # Name the culprit with jq's own message; only then pay one compilation per field.
                problems = field_problems(rules) or [
                    MappingProblem(None, "", f"cannot compile: {programs.clean_jq_error(str(exc))}")
                ]
                raise MappingError(problems, source) from None

    @property
    def blueprints(self) -> frozenset[str]:
        """The blueprints this mapping writes to."""
        return frozenset(rule.blueprint for rule in self.rules)

    def evaluate(
        self,
        body: Any,
        headers: Mapping[str, str] | None = None,
        query_params: Mapping[str, str] | None = None,
        *,
        jira_base_url: str | None = None,
    ) -> list[Action]:
        """The Port actions for one event; problems are logged as warnings, never raised."""
        result = self.evaluate_detailed(body, headers, query_params, jira_base_url=jira_base_url)
        for warning in result.warnings:
            logger.warning(f"mapping: {warning}", extra={"mapping_warning": warning.to_log()})
        return result.actions

    def evaluate_detailed(
        self,
        body: Any,
        headers: Mapping[str, str] | None = None,
        query_params: Mapping[str, str] | None = None,
        *,
        jira_base_url: str | None = None,
    ) -> MappingResult:
        """Like ``evaluate`` but returns the warnings instead of logging them."""
        base = _base_url(jira_base_url)
        document = build_document(body, headers, query_params)
        text = document_text(document)
        raws = self._run_all(text, base)
        if raws is None:
            raws = [self._run_isolated(rule, document, text, base) for rule in self.rules]
        warnings: list[MappingWarning] = []
        actions: list[Action] = []
        for rule, raw in zip(self.rules, raws, strict=True):
            actions.extend(rule_actions(rule, raw, warnings))
        return MappingResult(actions, warnings)

    def relevant(
        self,
        body: Any,
        headers: Mapping[str, str] | None = None,
        query_params: Mapping[str, str] | None = None,
        *,
        jira_base_url: str | None = None,
    ) -> bool:
        """True iff some rule's filter is true for this event (one jq run). Fails open (True)."""
        text = document_text(build_document(body, headers, query_params))
        try:
            result = self._program(self.relevance_text, _base_url(jira_base_url)).input_text(text).first()
        except (ValueError, StopIteration):
            return True  # let the full evaluation decide (and report) rather than drop the event
        return result is not False

    def _program(self, text: str, base: str | None) -> Any:
        key = (text, base)
        compiled = self._local.programs.get(key)
        if compiled is None:
            compiled = programs.compile_program(text, base)
            self._local.programs[key] = compiled
        return compiled

    def _run_all(self, text: str, base: str | None) -> list[Any] | None:
        try:
            out = self._program(self.program_text, base).input_text(text).first()
        except (ValueError, StopIteration):  # unparsable input, or a `halt` in some expression
            return None
        if not isinstance(out, list) or len(out) != len(self.rules):
            return None
        return out

    def _run_isolated(self, rule: Rule, document: dict[str, Any], text: str, base: str | None) -> Any:
        """The slow path: one rule with each expression in its own program (same raw result shape)."""
        if rule.items is None:
            return self._filtered_isolated(rule, text, base)
        items = self._field(rule.items, text, base)
        if not (isinstance(items, list) and len(items) == 1 and isinstance(items[0], list)):
            return {"i": items}
        chosen = items[0][:MAX_ITEMS_PER_EVENT]
        results = [
            self._filtered_isolated(rule, document_text({**document, "item": it}), base) for it in chosen
        ]
        return {"n": len(items[0]), "r": results}

    def _filtered_isolated(self, rule: Rule, text: str, base: str | None) -> Any:
        if rule.filter is not None:
            passed = self._field(rule.filter, text, base)
            if passed != [True]:
                return passed if isinstance(passed, dict) else None
        return [self._field(f, text, base) for f in rule.fields]

    def _field(self, jq_field: JqField, text: str, base: str | None) -> Any:
        try:
            return self._program(programs.PRELUDE + programs.wrap(jq_field), base).input_text(text).first()
        except StopIteration:
            return {"e": "the expression stopped jq (halt)"}
        except ValueError as exc:
            return {"e": str(exc)}


def build_document(
    body: Any, headers: Mapping[str, str] | None, query_params: Mapping[str, str] | None
) -> dict[str, Any]:
    """Port's jq input ``{body, headers, queryParams}``: header names lower-cased, credentials dropped."""
    clean = {k.lower(): v for k, v in (headers or {}).items() if k.lower() not in SENSITIVE_HEADERS}
    return {"body": body, "headers": clean, "queryParams": dict(query_params or {})}


def document_text(document: dict[str, Any]) -> str:
    """Compact JSON for jq (serialised once per event and shared by every rule)."""
    return json.dumps(document, separators=(",", ":"), default=str)


def _base_url(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().rstrip("/")
    return value or None
