"""Generate the jq programs a mapping runs: one for every rule at once, one for the filters only.

Every field yields ``[value]`` (its first output), ``[]`` (no output) or ``{"e": error}`` (a runtime
error), which keeps Port's per-field semantics (first output only, empty -> null, an error nulls only
its own field) inside a single jq run per event:

    try [first(EXPR

    )] catch {"e": .}

The newlines end a trailing ``# comment`` in EXPR (even one continued by a backslash). An expression
with at most one output skips ``first`` (label/break, about 2 us per field): plain paths joined by ``|``
or ``//`` such as ``.body.issue.key`` or ``.body.issue.fields.assignee | .accountId // .name`` (each step
yields one value or fails before any output; ``//`` yields its left side's one value or its right
side's), or one whose output count ``proof.check`` bounds by one (``single_output``). A rule's
fields run under one shared ``try`` and are re-run one ``try`` each only when that fails (see
``field_list``); the program a mapping runs first instead marks such a rule ``ISOLATE``, and only then
is the event run again through the isolating program (``model.isolation_needed``). Internal variables are
named ``$__jp_...``, a prefix expressions may not use.

In a page program (``pages.page_program``) each issue and its ``fields`` are bound once to ``ISSUE_VAR``
and ``FIELDS_VAR``: an expression starting with ``.body.issue.fields.NAME`` or ``.body.issue.NAME``
(nearly every field of an issue rule) starts from the variable instead (``bind_issue``, about 1 us less
per field: three or two fewer jq index steps). Where an expression starts, ``.`` is the event document,
whose ``body.issue`` is that issue, so the two read the same value and fail with the same error. A page
program's fast field list holds plain paths' values bare (``field_list``, ``unbare``), and runs an
expression two fields share once (``once_each``).

Per rule the evaluation program yields (in a list, one element per rule, in rule order):
- without ``itemsToParse``: the list of field results when the filter is literally ``true``,
  ``null`` when it is anything else, or the filter's ``{"e": error}``;
- with ``itemsToParse``: ``{"n": count, "r": [per item as above]}`` (at most 500 items), or
  ``{"i": items result}`` when the expression did not yield one array.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import jq

from jira_port.mapping import proof
from jira_port.mapping.jq_tokens import Refused
from jira_port.mapping.model import ISOLATE, MAX_ITEMS_PER_EVENT, JqField, Rule

#: Port's jq binding hides the environment (`env`, `$ENV`) from mappings; so do we.
PRELUDE = "def env: {}; {} as $ENV | "
#: The jq variable every expression may use.
BASE_URL_VAR = "jira_base_url"
#: Prefix of the combined program's own variables; expressions may not use it.
RESERVED_PREFIX = "$__jp_"

#: The page program's per-issue variables (see the module doc and ``bind_issue``).
ISSUE_VAR, FIELDS_VAR = "$__jp_issue", "$__jp_fields"
_LEADING_ISSUE = re.compile(r"\s*\.body\.issue\.(fields\.)?(?=[A-Za-z_])")
_PATH = r'(?:\.|(?:\.(?:[A-Za-z_][A-Za-z0-9_]*|"[^"\\]*"))+)'
_PATHS = re.compile(rf"\s*{_PATH}(?:\s*(?:\||//)\s*{_PATH})*\s*")
_EMPTY = re.compile(r"\bempty\b")
_IMPURE = re.compile(
    r"\$__loc__|\b(?:now|input|inputs|input_line_number|input_filename|debug|stderr|halt|halt_error)\b"
)


def first_output(jq_field: JqField, *, bound: bool = False) -> str:
    """The field's expression yielding ``[first output]`` or ``[]`` (errors propagate); ``bound``: in a
    page program, reading the issue from its variables (``bind_issue``)."""
    program = jq_field.program
    text = bind_issue(program) if bound else program
    if _PATHS.fullmatch(program):
        return f"[{text}]"
    if single_output(program):
        return f"[{text}\n\n]"
    return f"[first({text}\n\n)]"


def bind_issue(program: str) -> str:
    """``program`` reading a leading ``.body.issue.fields.NAME`` / ``.body.issue.NAME`` from the page
    program's ``FIELDS_VAR`` / ``ISSUE_VAR`` (any other ``program`` unchanged)."""
    match = _LEADING_ISSUE.match(program)
    if match is None:
        return program
    return f"{FIELDS_VAR if match.group(1) else ISSUE_VAR}.{program[match.end() :]}"


@cache
def single_output(program: str) -> bool:
    """Whether ``[program]`` and ``[first(program)]`` provably agree: the proof bounds its outputs by one
    (``n``, not growing with the data), and it has no ``empty``, the only way the proof counts a branch
    as yielding nothing, which may still fail after another branch's output (``[1, (.[0] | empty)]``
    fails on an object, ``first`` gives 1). Without more outputs, nothing runs after the first one."""
    if _EMPTY.search(program):
        return False
    try:
        count = proof.check(program, per_item=False).n  # as the gate asks: one cache entry
    except Refused:
        return False
    return not count.data and count.c <= 1


def wrap(jq_field: JqField, *, bound: bool = False) -> str:
    """The field's expression wrapped to yield ``[first output]``, ``[]`` or ``{"e": error}``."""
    return f'(try {first_output(jq_field, bound=bound)} catch {{"e": .}})'


def bare(jq_field: JqField) -> bool:
    """Whether a page program gives the field's value bare (a plain path: see ``field_list``)."""
    return _PATHS.fullmatch(jq_field.program) is not None


def unbare(raw: Any, bares: tuple[bool, ...]) -> Any:
    """A page program's raw result of a rule as ``evaluation_program`` gives it (see ``field_list``);
    ``bares``: ``bare`` of each of the rule's fields."""
    if type(raw) is dict:
        if "b" in raw and len(raw) == 1 and type(raw["b"]) is list:
            return [[v] if b else v for b, v in zip(bares, raw["b"], strict=False)]
        if "r" in raw and type(raw["r"]) is list:
            return {**raw, "r": [unbare(item, bares) for item in raw["r"]]}
    return raw


def once_each(outputs: list[str]) -> str:
    """``[o1,o2,...]`` running an output that appears more than once only once, bound to a variable (the
    default mapping's ``url`` and ``issueUrl``, ``title`` and ``summary``), unless it may differ between
    two runs or write something (``now``, ``input``, ``debug``, ``$__loc__``...)."""
    repeated = [o for o in dict.fromkeys(outputs) if outputs.count(o) > 1 and not _IMPURE.search(o)]
    names = {o: f"$__jp_same{i}" for i, o in enumerate(repeated)}
    listed = "[" + ",".join(names.get(o, o) for o in outputs) + "]"
    return "(" + "".join(f"{o} as {names[o]} | " for o in repeated) + listed + ")" if repeated else listed


def compile_program(text: str, jira_base_url: str | None = None) -> Any:
    """Compile ``text`` with ``$jira_base_url`` bound (a ``jq`` program object)."""
    return jq.compile(text, args={BASE_URL_VAR: jira_base_url})


def clean_jq_error(message: str) -> str:
    """The first line of a jq compiler message, without the ``jq: error:`` prefix."""
    first = message.strip().splitlines()[0] if message.strip() else "invalid program"
    return first.removeprefix("jq: error: ").removeprefix("jq: ").strip().rstrip(":")


def field_list(fields: tuple[JqField, ...], *, isolate: bool = True, bound: bool = False) -> str:
    """jq producing the list of field results.

    Fields rarely fail, and one ``try`` per field costs more than the field itself, so all fields
    first run under a single ``try``; only when one of them fails are they run again one by one
    (``isolate``), or the list is ``ISOLATE`` for the caller to run the isolating program instead.
    ``bound`` (a page program): an expression two fields share runs once (``once_each``), and the fast
    list is ``{"b": [...]}`` holding a plain path's value bare, not in a list (it has exactly one output,
    or fails): fewer jq collections and conversions per field; ``bare`` says which, ``unbare`` undoes it.
    """
    if bound:
        outputs = [f"({bind_issue(f.program)})" if bare(f) else first_output(f, bound=True) for f in fields]
        fast = '{"b": ' + once_each(outputs) + "}"
    else:
        fast = "[" + ",".join(first_output(f) for f in fields) + "]"
    if not isolate:
        return f'(try {fast} catch "{ISOLATE}")'
    isolated = "[" + ",".join(wrap(f, bound=bound) for f in fields) + "]"
    return f"((try {fast} catch null) // {isolated})"


def _filtered(rule: Rule, isolate: bool, bound: bool) -> str:
    """Field results when the filter is literally true, else null or the filter error."""
    fields = field_list(rule.fields, isolate=isolate, bound=bound)
    if rule.filter is None:
        return fields
    return (
        f"({wrap(rule.filter, bound=bound)}) as $__jp_f | if $__jp_f == [true] then {fields} "
        'elif ($__jp_f | type) == "object" then $__jp_f else null end'
    )


def _with_items(rule: Rule, per_item: str, bound: bool) -> str:
    assert rule.items is not None
    return (
        f"(({wrap(rule.items, bound=bound)}) as $__jp_i "
        '| if ($__jp_i | type) == "array" and ($__jp_i | length) == 1 and ($__jp_i[0] | type) == "array" '
        f'then {{"n": ($__jp_i[0] | length), "r": [$__jp_i[0][:{MAX_ITEMS_PER_EVENT}][] as $__jp_item '
        f'| (. + {{"item": $__jp_item}}) | ({per_item})]}} '
        'else {"i": $__jp_i} end)'
    )


def rule_program(rule: Rule, *, isolate: bool = True, bound: bool = False) -> str:
    """jq (without prelude) yielding the raw result of one rule, as described in the module doc;
    ``bound``: for a page program, which binds ``ISSUE_VAR`` and ``FIELDS_VAR`` (see ``bind_issue``)."""
    if rule.items is None:
        return f"({_filtered(rule, isolate, bound)})"
    return _with_items(rule, _filtered(rule, isolate, bound), bound)


def evaluation_program(rules: tuple[Rule, ...], *, isolate: bool = True) -> str:
    """One jq program evaluating every rule: a list with one raw result per rule.

    ``isolate=False``: a rule whose fields fail yields ``ISOLATE`` (see ``isolation_needed``) instead of
    re-running them one by one, which halves the program jq compiles at cold start."""
    return PRELUDE + "[" + ",\n".join(rule_program(r, isolate=isolate) for r in rules) + "]"


def _passes(rule: Rule) -> str:
    if rule.filter is None:
        return "true"
    return f"(try (first({rule.filter.program}\n\n) == true) catch false)"


def relevance_program(rules: tuple[Rule, ...]) -> str:
    """One jq program yielding true iff some rule's filter is literally true (for some item)."""
    checks = []
    for rule in rules:
        if rule.items is None:
            checks.append(_passes(rule))
        else:
            checks.append(
                f'(try ((first({rule.items.program}\n\n)) as $__jp_i | ($__jp_i | type) == "array" and '
                f"any($__jp_i[:{MAX_ITEMS_PER_EVENT}][] as $__jp_item "
                f'| (. + {{"item": $__jp_item}}) | {_passes(rule)}; .)) '
                "catch false)"
            )
    return PRELUDE + "any(" + ",\n".join(checks) + "; .)"
