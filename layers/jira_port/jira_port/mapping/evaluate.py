"""``CompiledMapping``: evaluate a validated mapping against a Jira event with one jq run."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from jira_port.errors import JiraPortError
from jira_port.mapping import gate, programs
from jira_port.mapping.bounded import EvaluationLimits, LimitExceededError, answer_value, shared_runner
from jira_port.mapping.checks import MappingError, MappingProblem, field_problems
from jira_port.mapping.isolate import culprit, isolated_raws
from jira_port.mapping.model import (
    Event,
    FirstProgram,
    JqField,
    MappingResult,
    MappingWarning,
    Rule,
    build_document,
    clean_base_url,
    document_text,
    isolation_needed,
    rule_actions,
)
from jira_port.mapping.site import IdentifierAffix
from jira_port.observability import logger
from jira_port.port.types import Action


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


class _PerThread(threading.local):
    """Compiled jq programs of this thread (a ``jq`` program keeps one interpreter state; used from two
    threads at once it compiles a new one per call, so each thread compiles its own once)."""

    def __init__(self) -> None:
        self.programs: dict[tuple[str, str | None], Any] = {}


class CompiledMapping:
    """A validated mapping whose rules run as one jq program per event (built by ``load_mapping``;
    ``for_site`` adds a site's identifier affix). Thread-safe. A proven mapping maps events up to its
    ``gate`` in this process (``mapping.gate``; ``text``: the mapping's text), others go to a jq worker
    under ``limits``; ``limits=None``: in this process, unbounded, only for trusted mappings.
    ``jira_base_url``, ``first``: the caller's URL and the program it runs first (compiled here)."""

    def __init__(
        self,
        rules: tuple[Rule, ...],
        source: str = "mapping",
        limits: EvaluationLimits | None = EvaluationLimits(),  # noqa: B008 - frozen dataclass
        text: str | None = None,
        jira_base_url: str | None = None,
        *,
        first: FirstProgram = "evaluation",
    ) -> None:
        self.rules, self.source, self.limits = rules, source, limits
        self._runner = shared_runner(limits.memory_mb) if limits is not None else None
        self.program_text = programs.evaluation_program(rules, isolate=False)
        # Compiled here only once a field fails; a worker batch runs it (the worker pays its compile).
        self.isolating_text = programs.evaluation_program(rules)
        self.relevance_text = programs.relevance_program(rules)
        self.affix, self._local = IdentifierAffix(), _PerThread()
        base, relevance_first = clean_base_url(jira_base_url), first == "relevance"
        try:  # the evaluation program holds every expression: compiling it validates them (see ``checks``)
            if relevance_first and not gate.within_measured(rules, text):  # the default's all compile
                programs.compile_program(self.program_text, base)
            # the first program, kept for the first thread that runs it (the live functions load on a thread)
            key = (self.relevance_text if relevance_first else self.program_text, base)
            self._spare = {key: programs.compile_program(*key)}
        except ValueError as exc:
            # Name the culprit with jq's own message; only then pay one compilation per field.
            problems = field_problems(rules) or [
                MappingProblem(None, "", f"cannot compile: {programs.clean_jq_error(str(exc))}")
            ]
            raise MappingError(problems, source) from None
        verdict = gate.in_process(rules, limits, text)  # the proof (``refusal``: why not) and its size gates
        self.refusal, self.relevance_refusal = verdict.refusal, verdict.relevance_refusal
        self.gate, self.relevance_gate = verdict.chars, verdict.relevance_chars
        if limits is not None:
            where = f"in-process up to {self.gate} chars" if self.proven else f"in the worker: {self.refusal}"
            relevance = f"in-process up to {self.relevance_gate} chars"
            relevance = f"in the worker: {self.relevance_refusal}" if self.relevance_refusal else relevance
            logger.debug(f"{source}: maps {where}; relevance {relevance}")

    @property
    def proven(self) -> bool:
        """Every expression proven (``refusal is None``): events up to ``gate`` characters map here."""
        return self.refusal is None

    @property
    def blueprints(self) -> frozenset[str]:
        """The blueprints this mapping writes to."""
        return frozenset(rule.blueprint for rule in self.rules)

    def current(self) -> CompiledMapping:
        """This mapping (a ``MappingProvider`` answers with its current one: callers take either)."""
        return self

    def for_site(self, prefix: str = "", suffix: str = "") -> CompiledMapping:
        """This mapping, writing every identifier with ``prefix``/``suffix`` (see ``mapping.site``)."""
        from jira_port.blueprints import bundled_blueprints  # noqa: PLC0415 - only when affixing
        from jira_port.mapping.site import own_relations  # noqa: PLC0415

        site = copy.copy(self)
        site.affix = IdentifierAffix(prefix, suffix, own_relations(self.blueprints, bundled_blueprints()))
        return site

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
        """Like ``evaluate`` but returns the warnings instead of logging them. ``raw_body``: the JSON text
        ``body`` was parsed from (a webhook delivery): jq then reads it as sent, not re-serialised."""
        return self._evaluate(Event(body, headers, query_params, raw_body), clean_base_url(jira_base_url))

    def evaluate_each(
        self, events: Sequence[Event], *, jira_base_url: str | None = None
    ) -> list[MappingResult | MappingLimitError]:
        """``evaluate_detailed`` of each event (or its ``MappingLimitError``), all in one worker round trip.

        The round trip gets the per-event bound once for the whole batch (a sane batch of ten takes
        milliseconds). Past it, the worker is killed and each event is evaluated again on its own under
        its own bound, so an event that runs away fails alone and the others are mapped.
        """
        base = clean_base_url(jira_base_url)
        if self._runner is None or len(events) < 2 or self.proven:
            return [self._outcome(event, base) for event in events]
        documents = [build_document(e.body, e.headers, e.query_params) for e in events]
        texts = [document_text(d, e.raw_body).encode("utf-8") for d, e in zip(documents, events, strict=True)]
        try:
            answers = self._runner.first_each(self.isolating_text, base, texts, self.deadline())
        except LimitExceededError:
            return [self._outcome(event, base) for event in events]
        results: list[MappingResult | MappingLimitError] = []
        for event, answer in zip(events, answers, strict=True):
            try:
                raws = self._rule_results(answer_value(answer))
            except (ValueError, StopIteration):
                raws = None
            results.append(self._assemble(raws) if raws is not None else self._outcome(event, base))
        return results

    def relevant(
        self,
        body: Any,
        headers: Mapping[str, str] | None = None,
        query_params: Mapping[str, str] | None = None,
        *,
        jira_base_url: str | None = None,
        raw_body: str | None = None,
    ) -> bool:
        """True iff some rule's filter is true for this event (one jq run: in this process when every filter
        is proven, ``relevance_refusal is None``, and the event within the size gate; else bounded).

        Fails open (True): on a jq error or past the bound the full evaluation decides (and reports)."""
        text = document_text(build_document(body, headers, query_params), raw_body)
        base = clean_base_url(jira_base_url)
        try:
            if self.relevance_refusal is None and len(text) <= self.relevance_gate:
                result = self._first_here(self.relevance_text, base, text)
            else:
                result = self.first(self.relevance_text, base, text, self.deadline())
        except (ValueError, StopIteration):
            return True
        except LimitExceededError as exc:
            logger.warning(
                "mapping: the relevance check passed its bound; the event is kept",
                extra={"reason": exc.reason, "bound_seconds": self._bound_seconds()},
            )
            return True
        return result is not False

    def affixed(self, result: MappingResult) -> MappingResult:
        """``result`` with this site's identifier affix on every action (also used for whole pages)."""
        if not self.affix.prefix and not self.affix.suffix:
            return result
        return MappingResult([self.affix.apply(a) for a in result.actions], result.warnings)

    def deadline(self) -> float:
        """When a run started now must end (``inf`` when unbounded)."""
        return time.monotonic() + self._bound_seconds()

    def _bound_seconds(self) -> float:
        return self.limits.timeout_seconds if self.limits is not None else float("inf")

    def first(
        self, program: str, base: str | None, text: str | bytes, deadline: float, *, own: bool = False
    ) -> Any:
        """The first output of ``program`` under this mapping's bound (``StopIteration``: none;
        ``ValueError``: jq error; ``LimitExceededError``: past ``deadline`` or the memory cap).

        ``own``: ``program`` runs only this mapping's expressions; when they are proven and ``text`` is
        at most ``gate`` characters, it runs in this process (see ``mapping.gate``)."""
        if self._runner is None or (own and self.proven and len(text) <= self.gate):
            return self._first_here(program, base, text)
        return self._runner.first(program, base, text, deadline)

    def _first_here(self, program: str, base: str | None, text: str | bytes) -> Any:
        """``first`` in this process, unbounded: only for trusted or provably linear programs."""
        data = text.decode("utf-8") if isinstance(text, bytes) else text
        return self._program(program, base).input_text(data).first()

    def _outcome(self, event: Event, base: str | None) -> MappingResult | MappingLimitError:
        try:
            return self._evaluate(event, base)
        except MappingLimitError as exc:
            return exc

    def _evaluate(self, event: Event, base: str | None) -> MappingResult:
        document = build_document(event.body, event.headers, event.query_params)
        text = document_text(document, event.raw_body)
        deadline = self.deadline()
        try:
            raws = self._run_all(text, base, deadline)
            if raws is None:
                raws = isolated_raws(self, document, text, base, deadline)
        except LimitExceededError as exc:
            assert self.limits is not None
            rule, jq_field = culprit(self, document, base) or (None, None)
            raise MappingLimitError(rule, jq_field, exc.reason, self.limits) from None
        return self._assemble(raws)

    def _assemble(self, raws: list[Any]) -> MappingResult:
        warnings: list[MappingWarning] = []
        actions: list[Action] = []
        for rule, raw in zip(self.rules, raws, strict=True):
            actions.extend(rule_actions(rule, raw, warnings))
        return self.affixed(MappingResult(actions, warnings))

    def _program(self, text: str, base: str | None) -> Any:
        key = (text, base)
        compiled = self._local.programs.get(key)
        if compiled is None:
            compiled = self._spare.pop(key, None)
            if compiled is None:
                compiled = programs.compile_program(text, base)
            self._local.programs[key] = compiled
        return compiled

    def _run_all(self, text: str, base: str | None, deadline: float) -> list[Any] | None:
        try:
            out = self.first(self.program_text, base, text, deadline, own=True)
            if isolation_needed(out):
                out = self.first(self.isolating_text, base, text, deadline, own=True)
            return self._rule_results(out)
        except (ValueError, StopIteration):  # unparsable input, or a `halt` in some expression
            return None

    def _rule_results(self, out: Any) -> list[Any] | None:
        """The per-rule raw results of the isolating program's output, or of the first program's once
        ``_run_all`` found no ``ISOLATE`` in it (``None``: not that shape)."""
        return out if isinstance(out, list) and len(out) == len(self.rules) else None


def log_warnings(warnings: list[MappingWarning]) -> None:
    """Log each mapping warning (as ``evaluate`` does)."""
    for warning in warnings:
        logger.warning(f"mapping: {warning}", extra={"mapping_warning": warning.to_log()})
