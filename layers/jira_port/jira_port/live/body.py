"""Parse a webhook body strictly: what cannot be a Jira delivery is refused with a reason (HTTP 400).

Jira sends UTF-8 JSON objects a few levels deep (RFC 8259 section 8.1: JSON exchanged between
systems is UTF-8, without a byte order mark). Refused: other encodings (``json.loads`` on bytes would
also guess UTF-16/32), nesting deeper than ``MAX_DEPTH`` (a 10,000-level "depth bomb" otherwise ends
in a RecursionError deep inside the parser, and every later step walks the tree again), numbers that
do not fit a double (``1e400`` parses to infinity, which no version or Port property can hold),
``NaN``/``Infinity`` literals (not JSON) and integers longer than Python converts (4,300 digits).
"""

from __future__ import annotations

import json
import math
from typing import Any

from jira_port.errors import JiraPortError

#: Deepest nesting accepted; real deliveries stay below 20 (a Cloud description in ADF included).
MAX_DEPTH = 512


class BodyError(JiraPortError):
    """The body can never be a Jira delivery; the message says why (no body content in it)."""


def parse_body(raw: bytes) -> dict[str, Any]:
    """The delivery as a JSON object, or ``BodyError``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError("body must be UTF-8 encoded JSON") from None
    try:
        body = json.loads(text, parse_float=_finite_float, parse_constant=_no_constant)
    except RecursionError:
        raise BodyError(f"body nests deeper than {MAX_DEPTH} levels") from None
    except _NumberError as exc:
        raise BodyError(str(exc)) from None
    except ValueError:
        raise BodyError("body must be a JSON object") from None
    if not isinstance(body, dict):
        raise BodyError("body must be a JSON object")
    if depth_exceeds(body, MAX_DEPTH):
        raise BodyError(f"body nests deeper than {MAX_DEPTH} levels")
    return body


def body_text(raw: bytes) -> str | None:
    """``raw`` as text for the mapping (``raw_body``), or ``None`` when it is not UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests containers deeper than ``limit`` (iterative: no recursion limit)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


class _NumberError(ValueError):
    pass


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NumberError("body holds a number out of range (beyond a 64-bit float)")
    return value


def _no_constant(name: str) -> Any:
    raise _NumberError(f"body holds {name}, which is not JSON")
