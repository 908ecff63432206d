"""A small IAM evaluator for identity policies: explicit Deny wins, then any Allow, else implicit deny.

Enough for the policies of this template: ``Action``/``NotAction``, ``Resource``/``NotResource`` with
``*``/``?`` wildcards (case-insensitive actions, case-sensitive ARNs). A statement with a ``Condition``
cannot be judged offline and is reported instead of being guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any


@dataclass(frozen=True)
class Request:
    """One authorisation request: an IAM action on one resource ARN."""

    action: str
    resource: str

    def __str__(self) -> str:
        return f"{self.action} on {self.resource}"


@cache
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(body, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _listed(value: Any) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def _matches_any(value: str, globs: Iterable[str], *, ignore_case: bool) -> bool:
    return any(_pattern(g, ignore_case).fullmatch(value) for g in globs)


def _applies(statement: dict[str, Any], request: Request) -> bool:
    if "Condition" in statement:
        raise ValueError(f"statement {statement.get('Sid', '')!r} has a Condition; evaluate it by hand")
    if "Action" in statement:
        action_ok = _matches_any(request.action, _listed(statement["Action"]), ignore_case=True)
    else:
        action_ok = not _matches_any(request.action, _listed(statement["NotAction"]), ignore_case=True)
    if "Resource" in statement:
        resource_ok = _matches_any(request.resource, _listed(statement["Resource"]), ignore_case=False)
    else:
        resource_ok = not _matches_any(request.resource, _listed(statement["NotResource"]), ignore_case=False)
    return action_ok and resource_ok


def is_allowed(statements: Iterable[dict[str, Any]], request: Request) -> bool:
    """Whether identity-policy ``statements`` allow ``request``."""
    matching = [s for s in statements if _applies(s, request)]
    if any(s["Effect"] == "Deny" for s in matching):
        return False
    return any(s["Effect"] == "Allow" for s in matching)


def wildcard_actions(statements: Iterable[dict[str, Any]]) -> list[str]:
    """Actions granted through a wildcard (``*``, ``s3:*``, ``sqs:Send*``) or through ``NotAction``."""
    found: list[str] = []
    for statement in statements:
        if statement["Effect"] != "Allow":
            continue
        if "NotAction" in statement:
            found.append(f"NotAction {statement['NotAction']}")
        found.extend(a for a in _listed(statement.get("Action", [])) if "*" in a or "?" in a)
    return found
