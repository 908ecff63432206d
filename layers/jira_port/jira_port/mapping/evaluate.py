"""``CompiledMapping``: evaluate a validated mapping against a Jira event with one jq run."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jira_port.actions import Action
from jira_port.errors import JiraPortError
from jira_port.mapping import programs
from jira_port.mapping.assemble import rule_actions
from jira_port.mapping.bounded import EvaluationLimits, LimitExceededError, shared_runner
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


class MappingLimitError(JiraPortError):
    """An event made the mapping pass its time or memory bound; ``rule``/``field`` name the culprit
    when it could be isolated. Raised by ``evaluate``; the event fails alone (retried, then DLQ)."""

    def __init__(self, rule: Rule | None, jq_field: JqField | None, reason: str, limits: EvaluationLimits):
        self.rule = rule.index if rule is not None else None
        self.field = jq_field.path if jq_field is not None else None
        self.reason = reason
        bound = f"{limits.timeout_seconds:g} s" if reason == "time" else f"{limits.memory_mb} MiB"
        what = "did not finish within" if reason == "time" else "needed more memory than"
        self.problem = f"{what} the bound of {bound} per event"
        where = "the mapping (no single expression alone)"
        if rule is not None:
            where = rule.label + (f", {jq_field.path} ({jq_field.expression})" if jq_field else "")
        super().__init__(f"{where}: {self.problem}")


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

    Build with ``load_mapping`` / ``load_mapping_text``. Thread-safe. Events are evaluated in a jq
    worker process under ``limits`` (see ``bounded``); ``limits=None`` evaluates in this process,
    unbounded (programs compiled lazily per thread and per ``jira_base_url``): only for trusted
    mappings, e.g. as the baseline of the mapping benchmark.
    """

    def __init__(
        self,
        rules: tuple[Rule, ...],
        source: str = "mapping",
        limits: EvaluationLimits | None = EvaluationLimits(),  # noqa: B008 - frozen dataclass
    ) -> None:
        self.rules = rules
        self.source = source
        self.limits = limits
        self._runner = shared_runner(limits.memory_mb) if limits is not None else None
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
        raw_body: str | None = None,
    ) -> list[Action]:
        """The Port actions for one event; problems are logged as warnings, never raised, except an
        event that makes the mapping pass its bound: ``MappingLimitError`` (naming rule and field)."""
        result = self.evaluate_detailed(
            body, headers, query_params, jira_base_url=jira_base_url, raw_body=raw_body
        )
        log_warnings(result.warnings)
        return result.actions

    def evaluate_detailed(
        self,
        body: Any,
        headers: Mapping[str, str] | None = None,
        query_params: Mapping[str, str] | None = None,
        *,
        jira_base_url: str | None = None,
        raw_body: str | None = None,
    ) -> MappingResult:
        """Like ``evaluate`` but returns the warnings instead of logging them.

        ``raw_body``: the JSON text ``body`` was parsed from, when the caller has it (a webhook delivery):
        jq then reads it as sent instead of a re-serialisation of ``body``.
        """
        base = clean_base_url(jira_base_url)
        document = build_document(body, headers, query_params)
        text = document_text(document, raw_body)
        deadline = self._deadline()
        try:
            raws = self._run_all(text, base, deadline)
            if raws is None:
                raws = [self._run_isolated(rule, document, text, base, deadline) for rule in self.rules]
        except LimitExceededError as exc:
            raise self._culprit(document, base, exc.reason) from None
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
        raw_body: str | None = None,
    ) -> bool:
        """True iff some rule's filter is true for this event (one jq run, bounded like ``evaluate``).

        Fails open (True): on a jq error or past the bound the full evaluation decides (and reports)."""
        text = document_text(build_document(body, headers, query_params), raw_body)
        try:
            result = self.first(self.relevance_text, clean_base_url(jira_base_url), text, self._deadline())
        except (ValueError, StopIteration):
            return True
        except LimitExceededError as exc:
            logger.warning(
                "mapping: the relevance check passed its bound; the event is kept",
                extra={"reason": exc.reason, "bound_seconds": self._limits_seconds()},
            )
            return True
        return result is not False

    def _deadline(self) -> float:
        return time.monotonic() + self._limits_seconds()

    def _limits_seconds(self) -> float:
        return self.limits.timeout_seconds if self.limits is not None else float("inf")

    def first(self, program: str, base: str | None, text: str | bytes, deadline: float) -> Any:
        """The first output of ``program`` under this mapping's bound (``StopIteration``: none;
        ``ValueError``: jq error; ``LimitExceededError``: past ``deadline`` or the memory cap)."""
        if self._runner is None:
            data = text.decode("utf-8") if isinstance(text, bytes) else text
            return self._program(program, base).input_text(data).first()
        return self._runner.first(program, base, text, deadline)

    def _culprit(self, document: dict[str, Any], base: str | None, reason: str) -> MappingLimitError:
        """Run the expressions one by one, each under the full bound, to name the one past it."""
        assert self.limits is not None
        for rule in self.rules:
            for jq_field in (rule.filter, rule.items, *rule.fields):
                if jq_field is None:
                    continue
                doc = document
                if rule.items is not None and jq_field is not rule.items:
                    items = self._probe(rule.items, document_text(document), base)
                    first_item = items[0][0] if _one_list(items) and items[0][0:1] else None
                    doc = {**document, "item": first_item}
                if self._probe(jq_field, document_text(doc), base) is _PAST_BOUND:
                    return MappingLimitError(rule, jq_field, reason, self.limits)
        return MappingLimitError(None, None, reason, self.limits)

    def _probe(self, jq_field: JqField, text: str, base: str | None) -> Any:
        try:
            return self._field(jq_field, text, base, self._deadline())
        except LimitExceededError:
            return _PAST_BOUND

    def _program(self, text: str, base: str | None) -> Any:
        key = (text, base)
        compiled = self._local.programs.get(key)
        if compiled is None:
            compiled = programs.compile_program(text, base)
            self._local.programs[key] = compiled
        return compiled

    def _run_all(self, text: str, base: str | None, deadline: float) -> list[Any] | None:
        try:
            out = self.first(self.program_text, base, text, deadline)
        except (ValueError, StopIteration):  # unparsable input, or a `halt` in some expression
            return None
        if not isinstance(out, list) or len(out) != len(self.rules):
            return None
        return out

    def _run_isolated(
        self, rule: Rule, document: dict[str, Any], text: str, base: str | None, deadline: float
    ) -> Any:
        """The slow path: one rule with each expression in its own program (same raw result shape)."""
        if rule.items is None:
            return self._filtered_isolated(rule, text, base, deadline)
        items = self._field(rule.items, text, base, deadline)
        if not _one_list(items):
            return {"i": items}
        chosen = items[0][:MAX_ITEMS_PER_EVENT]
        results = [
            self._filtered_isolated(rule, document_text({**document, "item": it}), base, deadline)
            for it in chosen
        ]
        return {"n": len(items[0]), "r": results}

    def _filtered_isolated(self, rule: Rule, text: str, base: str | None, deadline: float) -> Any:
        if rule.filter is not None:
            passed = self._field(rule.filter, text, base, deadline)
            if passed != [True]:
                return passed if isinstance(passed, dict) else None
        return [self._field(f, text, base, deadline) for f in rule.fields]

    def _field(self, jq_field: JqField, text: str, base: str | None, deadline: float) -> Any:
        try:
            return self.first(programs.PRELUDE + programs.wrap(jq_field), base, text, deadline)
        except StopIteration:
            return {"e": "the expression stopped jq (halt)"}
        except ValueError as exc:
            return {"e": str(exc)}


def log_warnings(warnings: list[MappingWarning]) -> None:
    """Log each mapping warning (as ``evaluate`` does)."""
    for warning in warnings:
        logger.warning(f"mapping: {warning}", extra={"mapping_warning": warning.to_log()})


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


_PAST_BOUND = object()


def _one_list(value: Any) -> bool:
    """Whether a wrapped field result is ``[list]`` (an ``itemsToParse`` that yielded one array)."""
    return isinstance(value, list) and len(value) == 1 and isinstance(value[0], list)


def clean_base_url(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().rstrip("/")
    return value or None
