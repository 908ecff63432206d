"""Map a whole Jira search page in one jq run.

jq reads either the response bytes as Jira sent them or, when the mapping's reads of ``fields`` are
known (``IssueFields.shape``, see ``mapping.issue_fields``), the page's issues cut down to those reads
(``page_input``): jq parses JSON at about 35 MB/s, Python's decoder (which already read the page) and
encoder much faster. With the default mapping an emulator issue goes from 5.6 KB to 1.2 KB, jq's CPU
per issue from 341 to 241 us, and the cut costs 13 us (bench/bench_backfill.py, the CPU round).

The page program takes ``{"t": read time, "s": issues to skip, "p": <search response>}``, builds for
each issue of ``.p.issues[s:]`` the webhook-shaped document the per-event path builds
(``{body: {webhookEvent, timestamp, issue}, headers, queryParams: {}}``) and runs every rule on it
exactly as ``programs.evaluation_program`` does, so per-field semantics are the same (one field's error
nulls only that field, an empty result gives null, only the first output counts); expressions starting
with ``.body.issue`` read the issue from variables bound once per issue (``programs.bind_issue``). It
yields one list of per-rule raw results per issue; Python decodes only that. A rule whose filter is false
for every issue of the page is not run at all: its result is ``null``, as its false filter would give
(``never_matches``).

The bound: a page may take the per-event bound once for every ``ISSUES_PER_BOUND`` issues (at least
once). A page that passes it, stops jq (``halt``) or cannot be read is mapped again issue by issue by
the caller, where each event has its own bound and a culprit is named (``MappingLimitError``).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from jira_port.mapping import programs
from jira_port.mapping.bounded import LimitExceededError
from jira_port.mapping.evaluate import CompiledMapping
from jira_port.mapping.issue_fields import Shape
from jira_port.mapping.jq_paths import EACH, path_at
from jira_port.mapping.jq_tokens import OPEN, Refused, Token, tokenize
from jira_port.mapping.model import (
    MappingResult,
    MappingWarning,
    Rule,
    build_document,
    clean_base_url,
    rule_actions,
)

#: A page gets the per-event bound once per this many issues: far above what a sane mapping needs
#: (about half a millisecond per issue), small enough that a runaway expression is caught soon.
ISSUES_PER_BOUND = 10
#: Operators binding tighter than ``and`` (jq's parser.y), and words binding looser: see ``_conjuncts``.
_TIGHTER = frozenset({"==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", ".", "?", "..", "$", "@"})
_LOOSER = frozenset({"or", "as", "def", "if", "then", "elif", "else", "end", "reduce", "foreach", "try",
                     "catch", "label", "import", "include"})  # fmt: skip
_STATIC_TOKENS = frozenset(
    {("op", t) for t in ("==", "!=", "(", ")", "|", ",", "//")}
    | {("id", t) for t in ("and", "or", "not", "true", "false", "null", "IN", "type", "startswith",
                           "endswith", "ascii_downcase", "test", "contains")}
)  # fmt: skip


def page_program(mapping: CompiledMapping, webhook_event: str, headers: Mapping[str, str]) -> str:
    """The jq program mapping every issue of a search page as a ``webhook_event`` event with ``headers``."""
    document = build_document(None, headers, None)
    envelope = (
        f'{{"body": {{"webhookEvent": {json.dumps(webhook_event)}, "timestamp": $__jp_page.t, '
        f'"issue": .}}, "headers": {json.dumps(document["headers"])}, "queryParams": {{}}}}'
    )
    probe = {"body": {"webhookEvent": webhook_event, "issue": {}}, "headers": document["headers"]}
    rules = ",\n".join(
        "null" if never_matches(r, probe) else programs.rule_program(r, bound=True) for r in mapping.rules
    )
    # an issue that is not an object fails the page (mapped issue by issue): `probe` assumes one
    issue = 'if type == "object" then . else error("an issue that is not an object") end'
    bind = f". as {programs.ISSUE_VAR} | .fields as {programs.FIELDS_VAR}"  # see programs.bind_issue
    each = f"$__jp_page.p.issues[$__jp_page.s:][] | {issue} | {bind} | {envelope}"
    return programs.PRELUDE + f". as $__jp_page | [{each} | [{rules}]]"


def never_matches(rule: Rule, probe: dict[str, Any]) -> bool:
    """Whether ``rule`` (without ``itemsToParse``) yields nothing for every issue event that differs from
    ``probe`` only in its issue (an object) and timestamp: its filter is ``C1 and C2 and ...`` and a
    leading run of conjuncts reading nothing but the headers, the event name and whether there is an
    issue (``_static``) has a false or null first output on ``probe``. Anything else: False."""
    if rule.filter is None or rule.items is not None or "\\" in rule.filter.program:
        return False  # (a backslash: the tokens keep only what it escapes, so `_render` could not)
    return _never(rule.filter.program, json.dumps(probe, sort_keys=True))


@cache
def _never(filter_program: str, probe: str) -> bool:
    """``never_matches`` of a filter on the JSON ``probe``, once per both (each run of a backfill makes
    its page program anew: jq compiles each static conjunct, about 1.5 ms each)."""
    try:
        tokens = tokenize(filter_program)
    except Refused:
        return False
    for conjunct in _conjuncts(tokens):
        if not _static(conjunct):
            return False
        try:
            program = programs.compile_program(f"{programs.PRELUDE}first({_render(conjunct)})")
            value = program.input_text(probe).first()
        except (ValueError, StopIteration):
            return False
        if value is False or value is None:
            return True
    return False


def _conjuncts(tokens: list[Token]) -> list[list[Token]]:
    """``tokens`` split at their top-level ``and``; whole when something binding looser is there."""
    parts: list[list[Token]] = [[]]
    depth = 0
    for token in tokens:
        if token.kind == "op" and token.text in OPEN:
            depth += 1
        elif token.kind == "op" and token.text in OPEN.values():
            depth -= 1
        elif depth == 0 and token.kind == "id" and token.text == "and":
            parts.append([])
            continue
        elif depth == 0 and _looser(token):
            return [tokens]
        parts[-1].append(token)
    return parts


def _looser(token: Token) -> bool:
    """Whether ``token`` (at the top level) binds looser than ``and`` or is a keyword: see ``_conjuncts``."""
    if token.kind == "op":
        return token.text not in _TIGHTER
    return token.kind == "id" and token.text in _LOOSER


def _static(tokens: list[Token]) -> bool:
    """Whether ``tokens`` read nothing but ``.headers...``, ``.body.webhookEvent`` and ``.body.issue``
    compared with ``null``, through literals, ``==``, ``!=``, ``//``, ``and``, ``or``, ``|`` and a few
    builtins."""
    index = 0
    while index < len(tokens):
        names, after = path_at(tokens, index)
        if names:
            test = [(t.kind, t.text) for t in tokens[after : after + 2]]
            null_test = names == ["body", "issue"] and test in ([("op", "=="), ("id", "null")],
                                                                [("op", "!="), ("id", "null")])  # fmt: skip
            if names[0] != "headers" and names != ["body", "webhookEvent"] and not null_test:
                return False
            index = after
            continue
        token = tokens[index]
        if not (token.kind == "str" or (token.kind, token.text) in _STATIC_TOKENS):
            return False
        index += 1
    return True


def _render(tokens: list[Token]) -> str:
    """jq source for ``tokens`` (strings without escapes, see ``never_matches``; jq reads ``.a .b``,
    ``. "a"`` and ``.a ["b"]`` as it reads them without the spaces)."""
    return " ".join(_source(t) for t in tokens)


def _source(token: Token) -> str:
    if token.kind == "field":
        return "." + token.text
    return json.dumps(token.text) if token.kind == "str" else token.text


def page_input(
    raw_page: bytes, skip: int, issues: list[Any], read_at_ms: int, shape: Shape | None
) -> bytes | str:
    """The page program's input: ``raw_page`` whole (its first ``skip`` issues are not ``issues``) or,
    with a ``shape``, ``issues`` cut down to it (see ``projector``)."""
    if shape is not None:
        cut = projector(shape)
        page = {"t": read_at_ms, "s": 0, "p": {"issues": [cut(issue) for issue in issues]}}
        with contextlib.suppress(ValueError):  # NaN or Infinity, which Python reads but JSON has not
            return json.dumps(page, separators=(",", ":"), allow_nan=False)
    return b'{"t":%d,"s":%d,"p":' % (read_at_ms, skip) + raw_page + b"}"


def projector(shape: Shape) -> Callable[[Any], Any]:
    """A function giving a value with only the parts ``shape`` names (a part ``None``: all of it): of an
    object its keys, of an array (``EACH``) each element's parts. Anything else is kept whole (an object
    mapped over too), so that whatever a read of it gives, the cut value gives the same. Made once per
    page: each level's keys and the functions below it are looked up once, not once per value."""
    keys = [(k, None if part is None else projector(part)) for k, part in shape.items() if k != EACH]
    each = shape.get(EACH)
    elements = projector(each) if each is not None else None
    whole_objects = EACH in shape

    def cut(value: Any) -> Any:
        if isinstance(value, dict):
            if whole_objects:
                return value
            return {k: value[k] if below is None else below(value[k]) for k, below in keys if k in value}
        if elements is not None and isinstance(value, list):
            return [elements(item) for item in value]
        return value

    return cut


def evaluate_page(
    mapping: CompiledMapping,
    program: str,
    raw_page: bytes,
    *,
    skip: int,
    count: int,
    read_at_ms: int,
    jira_base_url: str | None,
    cut: tuple[list[Any], Shape] | None = None,
) -> list[MappingResult] | None:
    """The result of each of the ``count`` issues after the first ``skip`` of the search response
    ``raw_page`` (one jq run), or None when the page must be mapped issue by issue (see module doc).
    ``cut``: those issues, decoded, and the shape of the mapping's reads: jq reads them cut down."""
    issues, shape = cut if cut is not None else ([], None)
    text = page_input(raw_page, skip, issues, read_at_ms, shape)
    bound = mapping.limits.timeout_seconds if mapping.limits is not None else float("inf")
    deadline = time.monotonic() + bound * max(1, -(-count // ISSUES_PER_BOUND))
    base = clean_base_url(jira_base_url)
    try:
        out: Any = mapping.first(program, base, text, deadline)
    except (ValueError, StopIteration, LimitExceededError):
        return None
    rules = mapping.rules
    if not isinstance(out, list) or len(out) != count:
        return None
    results = []
    bares = [tuple(programs.bare(f) for f in rule.fields) for rule in rules]
    for raws in out:
        if not isinstance(raws, list) or len(raws) != len(rules):
            return None
        warnings: list[MappingWarning] = []
        actions = [
            a
            for rule, raw, bare in zip(rules, raws, bares, strict=True)
            if raw is not None or rule.items is not None  # null: the filter was not true (no warning)
            for a in rule_actions(rule, programs.unbare(raw, bare), warnings)
        ]
        result = MappingResult(actions, warnings)
        results.append(mapping.affixed(result))
    return results
