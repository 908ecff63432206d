"""Which events a mapping may map in this process, where no timer can stop jq: the proof's verdict
(``refusal``) and the size gate it earns (``in_process``).

``proof.check`` (the build-time table, else ``proof_rules``) shows that an expression cannot run away: its
time is at most ``factor`` passes over the event, linear in its size. A factor is a bound, not a time, and
passes differ in price: measured with the bundled jq on a 360 KB event, one pass over one byte took from 4
ns (``split``) to 26 ns (``ascii_downcase``) and 40 ns (``any``/``select`` over 40,000 small elements). So
a mapping maps in this process only the events whose worst case stays within half its time bound, at
``NS_PER_PASS_BYTE`` per pass over each byte of the event: ``chars <= timeout / 2 / (NS_PER_PASS_BYTE *
the sum of its expressions' factors)``, and at most ``IN_PROCESS_MAX_CHARS``. Larger events go to the
bounded worker. Without this, a proven mapping that repeats ``ascii_downcase`` 256 times on a field took
60 s in-process on a 240 KiB event.

The bundled default mapping keeps the whole ``IN_PROCESS_MAX_CHARS``, also when a file, S3 or Port holds
the same text or a part of its rules (``within_measured``): its worst cases at that size were measured
(README "Limits": at most 0.57 s), and its factors (about 20,000 passes in all) are far looser than its
times. The guides' mappings earn their gates (194 KiB for Port's Cloud guide, the whole 256 KiB for its
Server guide).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache

from jira_port.mapping import proof
from jira_port.mapping.bounded import EvaluationLimits
from jira_port.mapping.jq_tokens import Refused
from jira_port.mapping.model import MAX_ITEMS_PER_EVENT, JqField, Rule, data_text

#: The largest jq input (JSON text, in characters) mapped in this process: SQS's message limit (Jira sends
#: 1-60 KB). A mapping's own gate may be smaller (see the module doc).
IN_PROCESS_MAX_CHARS = 256 * 1024
#: The price of one pass over one byte: above the costliest construct measured (40 ns).
NS_PER_PASS_BYTE = 50.0
#: The bundled default mapping as the functions load it, whose worst cases were measured.
MEASURED_FILE = "default-mapping.json"


@dataclass(frozen=True, slots=True)
class InProcess:
    """Why the mapping (and its filters alone) need the worker (``None``: proven), and the largest
    event text each maps in this process (0: none)."""

    refusal: str | None
    relevance_refusal: str | None
    chars: int
    relevance_chars: int


def in_process(rules: tuple[Rule, ...], limits: EvaluationLimits | None, text: str | None) -> InProcess:
    """The verdict for a mapping given as ``text`` (``None``: not from text); ``limits=None``: unbounded,
    every event in this process (trusted mappings only)."""
    if limits is None:
        return InProcess("unbounded (limits=None)", None, IN_PROCESS_MAX_CHARS, IN_PROCESS_MAX_CHARS)
    measured = within_measured(rules, text)
    budget = limits.timeout_seconds / 2 * 1e9 / NS_PER_PASS_BYTE  # passes over one byte
    why, passes = refusal(rules)
    why_filters, filter_passes = refusal(rules, fields=False)

    def chars(refused: str | None, total: float) -> int:
        if refused:
            return 0
        return IN_PROCESS_MAX_CHARS if measured else min(IN_PROCESS_MAX_CHARS, int(budget / total))

    return InProcess(why, why_filters, chars(why, passes), chars(why_filters, filter_passes))


def refusal(rules: tuple[Rule, ...], *, fields: bool = True) -> tuple[str | None, float]:
    """Why the rules may not run in-process (``None``: all proven), and the sum of their time factors
    (each expression as often as it runs); ``fields=False``: filters and ``itemsToParse`` only."""
    factors: dict[tuple[str, bool], float] = {}  # a third of the default mapping's expressions repeat
    passes = 1.0
    for rule in rules:
        for jq_field, per_item in expressions(rule, fields=fields):
            key = (jq_field.program, per_item)
            if key not in factors:
                try:
                    cost = proof.check(jq_field.program, per_item=per_item)
                except Refused as exc:
                    return f"{rule.label}, {jq_field.path}: {exc}", 0.0
                factors[key] = (cost.t.l + cost.t.g) * (MAX_ITEMS_PER_EVENT if per_item else 1)
            passes += factors[key]
    return None, passes


def expressions(rule: Rule, *, fields: bool = True) -> list[tuple[JqField, bool]]:
    """The rule's ``itemsToParse``, filter and (``fields``) fields, each with whether it runs per item."""
    per_item = rule.items is not None
    found = [(rule.items, False), (rule.filter, per_item), *((f, per_item) for f in rule.fields if fields)]
    return [(jq_field, each) for jq_field, each in found if jq_field is not None]


def within_measured(rules: tuple[Rule, ...], text: str | None = None) -> bool:
    """Whether the mapping is the measured default (``text``, compared first: no parsing) or does part of its
    work: each of its rules runs the same filter, ``itemsToParse`` and fields as a rule of the default, no
    rule more often than there (a user who drops the rules they do not need keeps the measured gate)."""
    if text is not None and text.strip() == measured_text():
        return True
    return not Counter(_work(rule) for rule in rules) - _measured_work()


def _work(rule: Rule) -> tuple[str | None, str | None, tuple[str, ...]]:
    """What a rule makes jq run (the blueprint and the entity's shape cost nothing there)."""
    programs = tuple(jq_field.program for jq_field in rule.fields)
    filter_program = rule.filter.program if rule.filter is not None else None
    return (filter_program, rule.items.program if rule.items is not None else None, programs)


@cache
def _measured_work() -> Counter[tuple[str | None, str | None, tuple[str, ...]]]:
    from jira_port.mapping.config import parse_text, rules_from_document  # noqa: PLC0415 - only when edited

    default = rules_from_document(parse_text(measured_text(), "json"), "default mapping")
    return Counter(_work(rule) for rule in default)


@cache
def measured_text() -> str:
    """The measured mapping's text (stripped), read once (its commented YAML has the same rules)."""
    return data_text(MEASURED_FILE).strip()
