"""Which Jira issue fields (and ``expand`` sections) a mapping reads, so the backfill asks Jira for no more,
and which parts of each field (``shape``), so a search page can be cut down to them before jq parses it.

Every expression is tokenized (``jq_tokens``) and scanned for paths through the issue: ``.issue.fields.X``,
``.fields["X"]``, ``."fields".X``, ``$i.fields.X``, ``.issue.changelog`` / ``.issue.renderedFields.X``
(which need ``expand``). The scan is conservative: whenever an expression could read fields it cannot name
(the whole ``body``, ``issue`` or ``fields`` flows on, ``keys``/``to_entries``/``..``-style enumeration,
``.fields[$x]``), the result is ``*all`` with the reason: every field is asked for and jq gets whole
issues. Naming a field Jira does not have is harmless: Jira leaves unknown names out of its answer.

A field's shape is the static path read below it: ``.fields.status.name`` keeps ``status.name``;
``.fields.assignee | .accountId // .name`` keeps ``assignee.accountId`` and ``.name``, ``.fields.subtasks |
map(.key)`` the ``key`` of each subtask (``jq_paths.reads_below`` says which pipes); anything else keeps the
whole field. The issue keeps the keys read of it (``.issue.key``, ``.issue.self``...): when the scan
derives the fields, every read of the issue goes through such a step.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from jira_port.mapping.jq_paths import is_op, path_at, reads_below, step
from jira_port.mapping.jq_tokens import Refused, Token, tokenize
from jira_port.mapping.model import Rule
from jira_port.observability import logger

ALL_FIELDS = "*all"
#: Issue sections that exist only when asked for with ``expand``.
EXPANDABLE = frozenset(
    {"renderedFields", "changelog", "names", "schema", "transitions", "operations", "editmeta",
     "versionedRepresentations"}
)  # fmt: skip
#: Builtins that enumerate or serialise whatever object they are given.
_ENUMERATING = frozenset(
    {"keys", "keys_unsorted", "to_entries", "with_entries", "paths", "leaf_paths", "getpath", "tostream",
     "tojson", "walk", "map_values", "del", "delpaths", "input", "inputs"}
)  # fmt: skip
_ENUMERATING_TOKENS = frozenset({("op", ".."), ("var", "$__loc__")})
_WATCHED = frozenset({"body", "issue", "fields", "renderedFields"})
#: The tokenizer keeps only the escaped character of ``\n``, ``\u0041``...: such a name is not trusted.
_ESCAPED_NAME = re.compile(r'(?:\.|\[)\s*"(?:[^"\\]|\\["\\/])*\\[^"\\/]')

#: The parts of a value a mapping reads: key -> the parts of that key's value (``None``: all of it).
Shape = dict[str, Any]


@dataclass(frozen=True, slots=True)
class IssueFields:
    """What to ask Jira's search for: ``fields`` (``["*all"]`` when not derivable) and ``expand``;
    ``shape``: the parts of the issue read (``None`` when not derivable): its keys, ``fields`` those of
    its fields."""

    fields: tuple[str, ...]
    expand: tuple[str, ...] = ()
    reason: str | None = None  # why the fields could not be derived (``*all``)
    shape: Shape | None = field(default=None, compare=False)

    @property
    def derived(self) -> bool:
        """True when the fields are a derived list rather than ``*all``."""
        return self.reason is None


@dataclass(slots=True)
class _Reads:
    """What the scanned expressions read: field names, expands, paths below ``fields``, the issue's keys."""

    fields: set[str] = field(default_factory=set)
    expand: set[str] = field(default_factory=set)
    paths: list[tuple[str, ...]] = field(default_factory=list)
    issue_keys: set[str] = field(default_factory=set)

    def path(self, names: Sequence[str]) -> None:
        """``fields.<names...>`` is read (its value as a whole)."""
        self.paths.append(tuple(names))

    def add(self, other: _Reads) -> None:
        """Add what ``other`` read."""
        self.fields |= other.fields
        self.expand |= other.expand
        self.paths += other.paths
        self.issue_keys |= other.issue_keys

    def shape(self) -> Shape:
        """The parts of the issue read (see ``IssueFields``)."""
        below: Shape = {}
        for names in self.paths:
            node = below
            for name in names[:-1]:
                child = node.setdefault(name, {})
                if child is None:
                    break
                node = child
            else:
                node[names[-1]] = None
        return {key: below if key == "fields" else None for key in sorted(self.issue_keys)}


def derive_issue_fields(rules: Iterable[Rule]) -> IssueFields:
    """The fields and expands every expression of ``rules`` reads from an issue (pure)."""
    reads = _Reads()
    first_reason: str | None = None
    for rule in rules:
        for jq_field in (f for f in (rule.filter, rule.items, *rule.fields) if f is not None):
            # every expression is scanned, even after one forces *all: the others' expands still count
            reason, read = _scanned(jq_field.program)
            reads.add(read)
            if reason is not None and first_reason is None:
                first_reason = f"{rule.label} {jq_field.path}: {reason}"
    expand = tuple(sorted(reads.expand))
    if first_reason is not None:
        return IssueFields((ALL_FIELDS,), expand, first_reason)
    return IssueFields(tuple(sorted(reads.fields)) or ("id",), expand, shape=reads.shape())


@cache
def _scanned(program: str) -> tuple[str | None, _Reads]:
    """What ``program`` reads, and why it cannot be derived (None: it can); once per program text (every
    run of a backfill derives its mapping's fields anew: about 6 ms for the default mapping)."""
    reads = _Reads()
    return _scan(program, reads), reads


def search_request(
    rules: Iterable[Rule], fields: list[str] | None, expand: str | None
) -> tuple[list[str], str | None]:
    """The ``fields`` and ``expand`` of the backfill's issue search for a mapping of ``rules``.

    ``fields``: ``JIRA_FIELDS`` when set explicitly (it wins), ``None`` to derive them (``*all`` is logged
    with its reason when they cannot be). Derived fields add ``key``, which paging's anchors need (Jira
    leaves it out when only ``id`` is asked for); ``created`` windows are planned with their own queries.
    ``expand`` is ``JIRA_EXPAND`` plus the sections the mapping reads.
    """
    derived = derive_issue_fields(rules)
    if fields is None:
        fields = list(derived.fields) if ALL_FIELDS in derived.fields else [*derived.fields, "key"]
        if derived.reason is not None:
            logger.info(
                "backfill reads every Jira field (*all): the mapping's fields cannot be derived",
                extra={"reason": derived.reason},
            )
    parts = [p.strip() for p in (expand or "").split(",") if p.strip()]
    parts += [e for e in derived.expand if e not in parts]
    return fields, ",".join(parts) or None


def _scan(program: str, reads: _Reads) -> str | None:
    """Add what ``program`` reads to ``reads``; return why it cannot be derived, or None."""
    if _ESCAPED_NAME.search(program):
        return "a quoted field name with an escape"
    try:
        tokens = tokenize(_strip_comments(program))
    except Refused as exc:
        return f"cannot be read ({exc})"
    if tokens and is_op(tokens[0], ".") and (len(tokens) == 1 or tokens[1].text in ("|", "as")):
        return "passes the whole event on"
    return _scan_tokens(tokens, reads)


def _scan_tokens(tokens: Sequence[Token], reads: _Reads) -> str | None:
    if reason := _enumerates(tokens):
        return reason
    run_start, run_end = 0, -1  # the run of path steps the current step belongs to
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.kind == "interp":
            for part in token.parts:
                if reason := _scan_tokens(part, reads):
                    return reason
        found = step(tokens, index)
        if found is None:
            index += 1
            continue
        name, after = found
        if index != run_end:
            run_start = index
        run_end = after
        if name in _WATCHED and (reason := _watched(tokens, name, after, run_start, reads)):
            return reason
        index = after
    return None


def _watched(tokens: Sequence[Token], name: str, after: int, run_start: int, reads: _Reads) -> str | None:
    """Record what follows the watched step ``name`` (ending at ``after``); why not derivable, or None."""
    following = step(tokens, after)
    if following is None:
        if name in {"body", "issue"} and _harmless_after(tokens, after):
            if name == "issue" and (piped := step(tokens, after + 1)) is not None:
                reads.issue_keys.add(piped[0])
            return None  # `.body.issue | .fields.x`: the next step is scanned on its own
        return f"reads .{name} as a whole ({_snippet(tokens, run_start)})"
    if name == "issue":
        reads.issue_keys.add(following[0])
        if following[0] in EXPANDABLE:
            reads.expand.add(following[0])
    elif name == "renderedFields":
        reads.fields.add(following[0])
    elif name == "fields":
        reads.fields.add(following[0])
        chain, end = path_at(tokens, after)
        for tail in reads_below(tokens, run_start, end) or [[]]:
            reads.path([*chain, *tail])
    return None


def _harmless_after(tokens: Sequence[Token], index: int) -> bool:
    """What may follow ``.body``/``.issue`` without reading every field: a next step through a pipe, a
    type or null test."""
    if len(tokens) < index + 2:
        return False
    first, second = tokens[index : index + 2]
    if is_op(first, "|"):
        dotted = second.kind == "field" or (is_op(second, ".") and step(tokens, index + 1) is not None)
        return dotted or (second.kind == "id" and second.text == "type")
    return first.kind == "op" and first.text in ("==", "!=") and second.kind == "id" and second.text == "null"


def _enumerates(tokens: Sequence[Token]) -> str | None:
    """Why ``tokens`` may read any field (an enumerating builtin, ``..``, ``$__loc__``), or None."""
    for index, token in enumerate(tokens):
        name = None
        if (token.kind, token.text) in _ENUMERATING_TOKENS or (
            token.kind == "id" and token.text in _ENUMERATING
        ):
            name = token.text
        elif is_op(token, "@") and index + 1 < len(tokens) and tokens[index + 1].text in ("json", "text"):
            name = "@" + tokens[index + 1].text
        if name is not None:
            return f"uses {name!r}, which may read any field"
    return None


def _strip_comments(program: str) -> str:
    """``program`` without ``# comments`` (a ``#`` inside a string literal is kept). Each line is cut at
    its own ``#``: where a jq version reads a comment on past a line end, this reads more code, not less."""
    out = []
    for line in program.splitlines():
        cut, in_string, escaped = len(line), False, False
        for i, char in enumerate(line):
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = not in_string
            elif char == "#" and not in_string:
                cut = i
                break
        out.append(line[:cut])
    return "\n".join(out)


def _snippet(tokens: Sequence[Token], start: int) -> str:
    text = "".join("." + t.text if t.kind == "field" else f" {t.text} " for t in tokens[start : start + 8])
    return " ".join(text.split())[:40]
