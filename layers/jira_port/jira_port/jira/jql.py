"""JQL building for paging: scope restriction, keyset clauses and per-project partitions.

Paging always orders by ``id ASC``: it is stable, unique and lets a page cursor resume with
``id > <last id>`` on either deployment. A user JQL's own ORDER BY is therefore dropped (the order of a
sync does not matter, only that every issue is seen once).
"""

from __future__ import annotations

import re

# Cloud's enhanced search rejects unbounded JQL; any restriction clause bounds it, and every issue has a
# project, so this selects all issues of all projects the credentials can browse.
DEFAULT_SCOPE = "project IS NOT EMPTY"
ORDER_BY_ID = "ORDER BY id ASC"

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
    """``where`` ordered for paging."""
    return f"{where} {ORDER_BY_ID}"


def keyset(where: str, after_id: int | None) -> str:
    """``(<where>) AND id > <after_id> ORDER BY id ASC`` (just ordered when ``after_id`` is None)."""
    if after_id is None:
        return ordered(where)
    return f"({where}) AND id > {int(after_id)} {ORDER_BY_ID}"


def quote(value: str) -> str:
    """A JQL string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def project_partition(project_id: str | int, jql: str | None = None) -> str:
    """The restriction of one project's partition (by id, which survives a project key rename)."""
    pid = str(project_id)
    if not pid.isdigit():
        raise ValueError(f"project id must be numeric, got {pid!r}")
    where, _ = split_order_by(jql)
    clause = f"project = {pid}"
    return f"{clause} AND ({where})" if where else clause
