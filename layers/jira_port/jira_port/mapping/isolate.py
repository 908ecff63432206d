"""The slow paths of ``CompiledMapping``: each expression in its own jq run.

Used when the one program for all rules cannot give a per-rule answer (unparsable input, a ``halt``),
and to name the expression that made an event pass its bound (``culprit``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jira_port.mapping import programs
from jira_port.mapping.bounded import LimitExceededError
from jira_port.mapping.model import MAX_ITEMS_PER_EVENT, JqField, Rule, document_text

if TYPE_CHECKING:
    from jira_port.mapping.evaluate import CompiledMapping

_PAST_BOUND = object()


@dataclass(frozen=True, slots=True)
class _Runs:
    """Runs single expressions of ``mapping`` with ``$jira_base_url`` = ``base``."""

    mapping: CompiledMapping
    base: str | None

    def field(self, jq_field: JqField, text: str, deadline: float) -> Any:
        """``[first output]``, ``[]`` or ``{"e": error}`` (``LimitExceededError`` past ``deadline``)."""
        try:
            program = programs.PRELUDE + programs.wrap(jq_field)
            return self.mapping.first(program, self.base, text, deadline, own=True)
        except StopIteration:
            return {"e": "the expression stopped jq (halt)"}
        except ValueError as exc:
            return {"e": str(exc)}

    def rule(self, rule: Rule, document: dict[str, Any], text: str, deadline: float) -> Any:
        if rule.items is None:
            return self.filtered(rule, text, deadline)
        items = self.field(rule.items, text, deadline)
        if not _one_list(items):
            return {"i": items}
        chosen = items[0][:MAX_ITEMS_PER_EVENT]
        results = [self.filtered(rule, document_text({**document, "item": it}), deadline) for it in chosen]
        return {"n": len(items[0]), "r": results}

    def filtered(self, rule: Rule, text: str, deadline: float) -> Any:
        if rule.filter is not None:
            passed = self.field(rule.filter, text, deadline)
            if passed != [True]:
                return passed if isinstance(passed, dict) else None
        return [self.field(f, text, deadline) for f in rule.fields]

    def probe(self, jq_field: JqField, text: str) -> Any:
        """The field's result under a full bound of its own, or ``_PAST_BOUND``."""
        try:
            return self.field(jq_field, text, self.mapping.deadline())
        except LimitExceededError:
            return _PAST_BOUND


def isolated_raws(
    mapping: CompiledMapping, document: dict[str, Any], text: str, base: str | None, deadline: float
) -> list[Any]:
    """Per rule, the raw result of ``programs.rule_program`` with every expression run on its own."""
    runs = _Runs(mapping, base)
    return [runs.rule(rule, document, text, deadline) for rule in mapping.rules]


def culprit(
    mapping: CompiledMapping, document: dict[str, Any], base: str | None
) -> tuple[Rule, JqField] | None:
    """The first expression that alone passes the bound (each probed under the full bound), if any."""
    runs = _Runs(mapping, base)
    for rule in mapping.rules:
        for jq_field in (rule.filter, rule.items, *rule.fields):
            if jq_field is None:
                continue
            doc = document
            if rule.items is not None and jq_field is not rule.items:
                items = runs.probe(rule.items, document_text(document))
                first_item = items[0][0] if _one_list(items) and items[0][0:1] else None
                doc = {**document, "item": first_item}
            if runs.probe(jq_field, document_text(doc)) is _PAST_BOUND:
                return rule, jq_field
    return None


def _one_list(value: Any) -> bool:
    """Whether a wrapped field result is ``[list]`` (an ``itemsToParse`` that yielded one array)."""
    return isinstance(value, list) and len(value) == 1 and isinstance(value[0], list)
