"""JQL building for paging: scope restriction, key-anchored page clauses and per-project partitions.

In JQL ``id``, ``key``, ``issuekey`` and ``issue`` are one field: a literal is resolved to an issue and
``key > X`` means "in X's *current* project, with a higher key number" (``ORDER BY id`` is key order).
So paging is always per project, ordered by key, and a page resumes after an *anchor* key of that project
(see ``paging``). A user JQL's own ORDER BY is dropped (a sync needs every issue once, not an order).
"""

from __future__ import annotations

import re

# Cloud's enhanced search rejects unbounded JQL; any restriction clause bounds it, and every issue has a
# project, so this selects all issues of all projects the credentials can browse.
DEFAULT_SCOPE = "project IS NOT EMPTY"
ORDER_BY_KEY = "ORDER BY key ASC"

_ORDER_BY = re.compile(r"order\s+by\b", re.IGNORECASE)


def split_order_by(jql: str | None) -> tuple[str, str | None]:
    """Split JQL into its restriction and its top-level ``ORDER BY ...`` clause (or None).

    Quoted strings and parentheses are respected, so ``summary ~ "order by"`` stays intact.
    """
    text = (jql or "").strip()
    depth = 0
    quote: str | None = None
    i = 0
    while i < len(text):
        ch = text[i]
        if quote is not None:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            match = _ORDER_BY.match(text, i)
            if match is not None:
                return text[:i].strip(), text[i:].strip()
        i += 1
    return text, None


def restriction(jql: str | None) -> str:
    """The user's restriction without ORDER BY, or ``DEFAULT_SCOPE`` when there is none."""
    where, _ = split_order_by(jql)
    return where or DEFAULT_SCOPE


def ordered(where: str) -> str:
    """``where`` ordered for paging (key order: project key, then key number)."""
    return f"{where} {ORDER_BY_KEY}"


def anchored(where: str, anchor: str | None) -> str:
    """A page of ``where`` (one project) from ``anchor`` on: ``((<where>) OR key = A) AND key >= A``.

    The anchor itself comes back first (a sentinel the caller checks and drops): if it is missing or
    carries another key, the anchor was deleted or moved away and must not be trusted. ``OR key = A``
    keeps the sentinel even when the anchor stopped matching the scope.
    """
    if anchor is None:
        return ordered(where)
    literal = quote(anchor)
    return f"(({where}) OR key = {literal}) AND key >= {literal} {ORDER_BY_KEY}"


def quote(value: str) -> str:
    """A JQL string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def project_partition(project_id: str | int, jql: str | None = None, extra: str | None = None) -> str:
    """The restriction of one project's partition (by id, which survives a project key rename);
    ``extra`` narrows it further (e.g. a ``created`` window of a split project)."""
    pid = str(project_id)
    if not pid.isdigit():
        raise ValueError(f"project id must be numeric, got {pid!r}")
    where, _ = split_order_by(jql)
    parts = [f"project = {pid}"] + [f"({p})" for p in (where, extra) if p]
    return " AND ".join(parts)


_SINGLE_PROJECT = re.compile(r"^project = (\d+)(?: AND .*)?$", re.DOTALL)


def single_project(where: str) -> str | None:
    """The project id when ``where`` was built by ``project_partition`` (one project), else None."""
    match = _SINGLE_PROJECT.match(where.strip())
    return match.group(1) if match else None
