"""Which Jira issue fields (and ``expand`` sections) a mapping reads, so the backfill asks Jira for no more.

Every expression is scanned for paths through the issue: ``.issue.fields.NAME``, ``.fields["NAME"]``,
``."fields".NAME``, ``$i.fields.NAME`` and ``.issue.changelog`` / ``.issue.renderedFields.NAME`` (which need
``expand``). The scan is conservative: whenever an expression could read fields it cannot name (the
whole ``body``, ``issue`` or ``fields`` object flows on, ``keys``/``to_entries``/``..``-style enumeration,
``.fields[$x]``), the result is ``*all`` with the reason, and the backfill asks for every field as before.
Naming a field Jira does not have is harmless: Jira leaves unknown names out of its answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from jira_port.mapping.model import JqField, Rule
from jira_port.observability import logger

ALL_FIELDS = "*all"
#: Issue sections that exist only when asked for with ``expand``.
EXPANDABLE = frozenset(
    {"renderedFields", "changelog", "names", "schema", "transitions", "operations", "editmeta",
     "versionedRepresentations"}
)  # fmt: skip
#: Builtins that enumerate or serialise whatever object they are given.
_ENUMERATING = re.compile(
    r"\b(?:keys|keys_unsorted|to_entries|with_entries|paths|leaf_paths|getpath|tostream|tojson|walk|"
    r"map_values|del|delpaths|input|inputs)\b|@json|@text|\$__loc__|(?<![.\w])\.\.(?![.\w])"
)
_STRING = r'"(?:[^"\\]|\\.)*"'
_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
# One path step: .name  ."name"  ["name"]  .["name"]  (optionally followed by ?)
_STEP = re.compile(rf"\s*(?:\.\s*(?:({_IDENT})|({_STRING}))|\.?\[\s*({_STRING})\s*\])\??")
_WATCHED = frozenset({"body", "issue", "fields", "renderedFields"})
# What may follow .body or .issue without reading every field: a next step through a pipe, a null test.
_HARMLESS_AFTER = re.compile(rf"\s*(?:\|\s*\.\s*(?:{_IDENT}|{_STRING})|\|\s*type\b|[!=]=\s*null\b)")


@dataclass(frozen=True, slots=True)
class IssueFields:
    """What to ask Jira's search for: ``fields`` (``["*all"]`` when not derivable) and ``expand``."""

    fields: tuple[str, ...]
    expand: tuple[str, ...] = ()
    reason: str | None = None  # why the fields could not be derived (``*all``)

    @property
    def derived(self) -> bool:
        """True when the fields are a derived list rather than ``*all``."""
        return self.reason is None


def derive_issue_fields(rules: Iterable[Rule]) -> IssueFields:
    """The fields and expands every expression of ``rules`` reads from an issue (pure)."""
    fields: set[str] = set()
    expand: set[str] = set()
    first_reason: str | None = None
    for rule in rules:
        for jq_field in _expressions(rule):
            # every expression is scanned, even after one forces *all: the others' expands still count
            reason = _scan(_strip_comments(jq_field.program), fields, expand)
            if reason is not None and first_reason is None:
                first_reason = f"{rule.label} {jq_field.path}: {reason}"
    if first_reason is not None:
        return IssueFields((ALL_FIELDS,), tuple(sorted(expand)), first_reason)
    return IssueFields(tuple(sorted(fields)) or ("id",), tuple(sorted(expand)))


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


def _expressions(rule: Rule) -> list[JqField]:
    return [f for f in (rule.filter, rule.items, *rule.fields) if f is not None]


def _scan(program: str, fields: set[str], expand: set[str]) -> str | None:
    """Add what ``program`` reads to ``fields``/``expand``; return why it cannot be derived, or None."""
    if m := _ENUMERATING.search(_blank_strings(program)):
        return f"uses {m.group(0).strip()!r}, which may read any field"
    stripped = program.strip()
    if stripped == "." or re.match(r"\.\s*(?:\||as\b)", stripped):
        return "passes the whole event on"
    position = 0
    while (step := _STEP.search(program, position)) is not None:
        position = step.end()
        name = _step_name(step)
        if name not in _WATCHED:
            continue
        after = _STEP.match(program, position)
        if after is None:
            if name in {"body", "issue"} and _HARMLESS_AFTER.match(program, position):
                continue  # `.body.issue | .fields.x`: the next step is scanned on its own
            return f"reads .{name} as a whole ({_snippet(program, step.start())})"
        following = _step_name(after)
        if name == "issue" and following in EXPANDABLE:
            expand.add(following)
        elif name in {"fields", "renderedFields"}:
            fields.add(following)
    return None


def _step_name(step: re.Match[str]) -> str:
    ident, quoted, bracketed = step.groups()
    if ident is not None:
        return ident
    text = quoted if quoted is not None else bracketed
    return bytes(text[1:-1], "utf-8").decode("unicode_escape")


def _blank_strings(program: str) -> str:
    return re.sub(_STRING, '""', program)


def _strip_comments(program: str) -> str:
    """``program`` without ``# comments`` (a ``#`` inside a string literal is kept)."""
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


def _snippet(program: str, start: int) -> str:
    return " ".join(program[start : start + 40].split())
