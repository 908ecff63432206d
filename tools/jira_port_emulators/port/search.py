"""``POST /v1/blueprints/{bp}/entities/search``: rules, ``include``/``exclude`` and the page cursor.

Pages are ordered by identifier and the cursor names the last identifier served, so entities
written or deleted between pages neither repeat nor shift the remaining ones.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Mapping
from typing import Any

from jira_port_emulators.port.errors import invalid

MAX_LIMIT = 1000
DEFAULT_LIMIT = 200
_BODY_KEYS = frozenset({"query", "include", "exclude", "limit", "from"})
_META = {
    "$identifier": "identifier", "$title": "title", "$icon": "icon", "$team": "team",
    "$blueprint": "blueprint", "$createdAt": "createdAt", "$updatedAt": "updatedAt",
    "$createdBy": "createdBy", "$updatedBy": "updatedBy",
}  # fmt: skip


def encode_cursor(bp: str, last: str) -> str:
    """An opaque cursor resuming after identifier ``last``."""
    return base64.urlsafe_b64encode(json.dumps({"bp": bp, "after": last}).encode()).decode()


def decode_cursor(bp: str, cursor: Any) -> str:
    """The identifier a cursor resumes after; 422 for anything this emulator did not issue."""
    try:
        data = json.loads(base64.urlsafe_b64decode(str(cursor).encode()))
    except ValueError:
        raise invalid("from is not a cursor returned by a previous search") from None
    if not isinstance(data, dict) or data.get("bp") != bp or not isinstance(data.get("after"), str):
        raise invalid("from is not a cursor returned by a previous search of this blueprint")
    return str(data["after"])


def _field(entity: dict[str, Any], name: str) -> Any:
    if name in _META:
        return entity.get(_META[name])
    if name in entity.get("properties", {}):
        return entity["properties"][name]
    return entity.get("relations", {}).get(name)


def matches(entity: dict[str, Any], query: Any) -> bool:
    """Evaluate a ``{combinator, rules}`` query (a common subset of Port's operators)."""
    if not isinstance(query, dict) or query.get("combinator") not in {"and", "or"}:
        raise invalid("query needs combinator 'and' or 'or' and rules")
    rules = query.get("rules")
    if not isinstance(rules, list):
        raise invalid("query.rules must be an array")
    results = (matches(entity, r) if "combinator" in r else _rule(entity, r) for r in rules)
    return all(results) if query["combinator"] == "and" else any(results)


def _rule(entity: dict[str, Any], rule: Any) -> bool:  # noqa: PLR0911 - one branch per operator
    if not isinstance(rule, dict) or not isinstance(rule.get("property"), str):
        raise invalid("each rule needs a property and an operator")
    actual, value, operator = _field(entity, rule["property"]), rule.get("value"), rule.get("operator")
    match operator:
        case "=":
            return bool(actual == value)
        case "!=":
            return bool(actual != value)
        case "in" | "containsAny":
            candidates = value if isinstance(value, list) else [value]
            held = actual if isinstance(actual, list) else [actual]
            return any(c in held for c in candidates)
        case "notIn":
            return isinstance(value, list) and actual not in value
        case "contains":
            return isinstance(actual, str | list) and value in actual
        case "isEmpty":
            return actual in (None, "", [], {})
        case "isNotEmpty":
            return actual not in (None, "", [], {})
        case _:
            raise invalid(f"operator {operator!r} is not supported by the local Port emulator")


def project(entity: dict[str, Any], include: list[str] | None, exclude: list[str] | None) -> dict[str, Any]:
    """Keep only ``include`` (meta names with ``$``, property or relation ids), minus ``exclude``."""

    def place(name: str) -> tuple[str, str | None]:
        if name in _META:
            return _META[name], None
        for section in ("properties", "relations"):
            if name.startswith(f"{section}."):
                return section, name.split(".", 1)[1]
            if name in entity.get(section, {}):
                return section, name
        return name, None

    out: dict[str, Any] = entity
    if include is not None:
        out = {}
        for name in include:
            key, sub = place(name)
            if sub is None:
                if key in entity:
                    out[key] = entity[key]
            elif sub in entity.get(key, {}):
                out.setdefault(key, {})[sub] = entity[key][sub]
    for name in exclude or []:
        key, sub = place(name)
        if sub is None:
            out.pop(key, None)
        elif isinstance(out.get(key), dict):
            out[key] = {k: v for k, v in out[key].items() if k != sub}
    return out


def search(bp: str, records: Mapping[str, dict[str, Any]], body: Any) -> dict[str, Any]:
    """Answer a search request over ``bp``'s stored ``records`` (by identifier)."""
    if not isinstance(body, dict):
        raise invalid("body must be a JSON object")
    extra = set(body) - _BODY_KEYS
    if extra:
        raise invalid(f"unknown keys {sorted(extra)}")
    limit = body.get("limit", DEFAULT_LIMIT)
    if not isinstance(limit, int | float) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise invalid(f"limit must be a number from 1 to {MAX_LIMIT}")
    include, exclude = body.get("include"), body.get("exclude")
    for name, value in (("include", include), ("exclude", exclude)):
        if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
            raise invalid(f"{name} must be an array of strings")
    after = decode_cursor(bp, body["from"]) if "from" in body else None
    query = body.get("query")
    page: list[dict[str, Any]] = []
    more = False
    for ident in sorted(records):
        if after is not None and ident <= after:
            continue
        view = {**records[ident], "blueprint": bp}
        if query is not None and not matches(view, query):
            continue
        if len(page) == int(limit):
            more = True
            break
        page.append(view)
    answer: dict[str, Any] = {
        "ok": True,
        "entities": [project(copy.deepcopy(e), include, exclude) for e in page],
    }
    if more:
        answer["next"] = encode_cursor(bp, page[-1]["identifier"])
    return answer
