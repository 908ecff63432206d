"""Port's value rules: identifier patterns and blueprint property types/formats.

The identifier pattern in Port's spec is ``^(?!\\.{1,2}$)[\\p{L}0-9@_.+:\\\\/=-]+$`` (max 1000): Python's
``re`` has no ``\\p{L}``, so characters are checked one by one with ``unicodedata`` (category L*).
Formats follow ajv-formats, which Port's Node backend uses (``date-time`` needs a time zone;
``+0000`` without a colon is accepted, as Jira sends it).
"""

from __future__ import annotations

import calendar
import ipaddress
import re
import unicodedata
from typing import Any

ENTITY_ID_MAX = 1000
BLUEPRINT_ID_MAX = 100
PROPERTY_KEY_MAX = 100
_ENTITY_ID_CHARS = frozenset("0123456789@_.+:\\/=-")
_BLUEPRINT_ID_CHARS = _ENTITY_ID_CHARS - {"="}
PROPERTY_KEY = re.compile(r"^[A-Za-z0-9@_=\\-]+$")

_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_TIME = re.compile(r"^(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(z|[+-]\d{2}(?::?\d{2})?)$", re.IGNORECASE)
_EMAIL = re.compile(
    r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
    r"(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$",
    re.IGNORECASE,
)
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://[^\s/?#]+[^\s]*$", re.IGNORECASE)

PROPERTY_TYPES = frozenset({"string", "number", "boolean", "object", "array"})
PROPERTY_FORMATS = frozenset(
    {
        "date-time", "url", "email", "idn-email", "ipv4", "ipv6", "markdown", "yaml", "user",
        "blueprints", "team", "timer", "proto", "labeled-url",
    }
)  # fmt: skip


def _id_chars_ok(value: str, allowed: frozenset[str]) -> bool:
    return all(c in allowed or unicodedata.category(c).startswith("L") for c in value)


def is_entity_identifier(value: object) -> bool:
    """Port's entity identifier rule (``.`` and ``..`` are forbidden, ≤ 1000 chars)."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= ENTITY_ID_MAX
        and value not in {".", ".."}
        and _id_chars_ok(value, _ENTITY_ID_CHARS)
    )


def is_blueprint_identifier(value: object) -> bool:
    """Port's blueprint identifier rule (like entities, without ``=``; ≤ 100 chars)."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= BLUEPRINT_ID_MAX
        and value not in {".", ".."}
        and _id_chars_ok(value, _BLUEPRINT_ID_CHARS)
    )


def is_property_key(value: object) -> bool:
    """Port's property/relation identifier rule."""
    return isinstance(value, str) and len(value) <= PROPERTY_KEY_MAX and PROPERTY_KEY.match(value) is not None


def is_date_time(value: str) -> bool:
    """ajv-formats ``date-time`` (full): date, ``T``/space, time with a mandatory zone."""
    parts = re.split(r"[tT\s]", value, maxsplit=1)
    if len(parts) != 2:
        return False
    date, time = _DATE.match(parts[0]), _TIME.match(parts[1])
    if date is None or time is None:
        return False
    year, month, day = (int(g) for g in date.groups())
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return False
    hour, minute, second = (int(g) for g in time.groups()[:3])
    return hour <= 23 and minute <= 59 and second <= 60


def _format_ok(fmt: str, value: str) -> bool:
    match fmt:
        case "date-time" | "timer":
            return is_date_time(value)
        case "url":
            return _URL.match(value) is not None
        case "email" | "idn-email":
            return _EMAIL.match(value) is not None
        case "ipv4" | "ipv6":
            try:
                address = ipaddress.ip_address(value)
            except ValueError:
                return False
            return address.version == (4 if fmt == "ipv4" else 6)
        case _:
            return True


def _type_ok(kind: str | None, value: Any) -> bool:
    match kind:
        case "string":
            return isinstance(value, str)
        case "number":
            return isinstance(value, int | float) and not isinstance(value, bool)
        case "boolean":
            return isinstance(value, bool)
        case "object":
            return isinstance(value, dict)
        case "array":
            return isinstance(value, list)
        case _:
            return True


def _limits_problem(name: str, schema: dict[str, Any], value: Any) -> str | None:
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", len(value)):
            return f"property {name!r} has a length outside its limits"
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and re.search(pattern, value) is None:
            return f"property {name!r} must match pattern {pattern!r}"
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if is_number and (value < schema.get("minimum", value) or value > schema.get("maximum", value)):
        return f"property {name!r} is outside its range"
    return None


def value_problem(name: str, schema: dict[str, Any], value: Any) -> str | None:
    """Why ``value`` does not fit property ``schema``, or None. ``null`` always fits (it clears)."""
    if value is None:
        return None
    kind = schema.get("type")
    problem: str | None = None
    enum, fmt, items = schema.get("enum"), schema.get("format"), schema.get("items")
    if not _type_ok(kind, value):
        problem = f"property {name!r} must be of type {kind}"
    elif isinstance(enum, list) and value not in enum:
        problem = f"property {name!r} must be one of {enum}"
    elif isinstance(value, str) and isinstance(fmt, str) and not _format_ok(fmt, value):
        problem = f"property {name!r} must match format {fmt!r}"
    else:
        problem = _limits_problem(name, schema, value)
    if problem is None and isinstance(value, list) and isinstance(items, dict):
        for index, item in enumerate(value):
            if item is None:
                return f"property {name}[{index}] must not be null"
            problem = problem or value_problem(f"{name}[{index}]", items, item)
    return problem
