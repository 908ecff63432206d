"""Cloud ``POST /rest/api/{2,3}/jql/parse``: parse and validate JQL queries as the current user sees the site.

Shapes follow the spec's ``ParsedJqlQueries`` example: a query that does not parse or names an unknown
field gets ``errors`` (and no ``structure``); a value that does not exist (``project = INVALID``) is a
``warnings`` entry, as in Atlassian's example. ``validation``: ``strict`` returns the structure only for a
clean query (the example omits it beside a warning), ``warn`` whenever the query parses, ``none`` skips
validation. (Data Center has no
such endpoint: there a search with ``validateQuery`` and ``maxResults=0`` does it.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jira_port_emulators.jira.jql_parse import BoolOp, Clause, JQLError, Node, Not, Query, Value, parse
from jira_port_emulators.jira.server import ApiError, Request, Route, route

if TYPE_CHECKING:
    from jira_port_emulators.jira.emulator import JiraEmulator

_VALIDATIONS = ("strict", "warn", "none")
_WARNING_MARK = "does not exist for the field"


def jql_parse(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    """``POST /rest/api/{2,3}/jql/parse?validation=strict|warn|none``."""
    validation = req.arg("validation")
    if validation not in _VALIDATIONS:
        raise ApiError(400, "The 'validation' query parameter must be one of: strict, warn, none.")
    body = req.json()
    queries = body.get("queries") if isinstance(body, dict) else None
    if (
        not isinstance(body, dict)
        or set(body) != {"queries"}
        or not isinstance(queries, list)
        or not queries
        or not all(isinstance(q, str) and q for q in queries)
    ):
        raise ApiError(400, "Invalid request payload. Refer to the REST API documentation and try again.")
    return 200, {"queries": [_parsed(emu, req, q, validation) for q in queries]}


def _parsed(emu: JiraEmulator, req: Request, jql: str, validation: str) -> dict[str, Any]:
    result: dict[str, Any] = {"query": jql}
    try:
        tree = parse(jql)
    except JQLError as exc:
        result["errors"] = [str(exc)]
        return result
    errors: list[str] = []
    warnings: list[str] = []
    if validation != "none":
        with emu.lock:
            try:
                emu.compile(jql, req.account, validating=True)
            except JQLError as exc:
                (warnings if _WARNING_MARK in str(exc) else errors).append(str(exc))
    if errors:
        result["errors"] = errors
    if warnings:
        result["warnings"] = warnings
    if validation != "strict" or not (errors or warnings):
        result["structure"] = _structure(tree)
    return result


def _structure(query: Query) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if query.where is not None:
        out["where"] = _clause(query.where)
    if query.order:
        fields = [
            {"field": {"name": name, "encodedName": name}, "direction": "desc" if desc else "asc"}
            for name, desc in query.order
        ]
        out["orderBy"] = {"fields": fields}
    return out


def _clause(node: Node) -> dict[str, Any]:
    if isinstance(node, BoolOp):
        return {"clauses": [_clause(item) for item in node.items], "operator": node.op}
    if isinstance(node, Not):
        return {"clauses": [_clause(node.item)], "operator": "not"}
    return _field_clause(node)


def _field_clause(clause: Clause) -> dict[str, Any]:
    out: dict[str, Any] = {
        "field": {"name": clause.field, "encodedName": clause.field},
        "operator": clause.op,
    }
    if clause.op in {"in", "not in"}:
        values = [_operand(v) for v in clause.values]
        encoded = ", ".join(v.get("encodedValue") or v.get("encodedOperand", "") for v in values)
        out["operand"] = {"values": values, "encodedOperand": f"({encoded})"}
    elif clause.values:
        out["operand"] = _operand(clause.values[0])
    else:  # IS [NOT] EMPTY
        out["operand"] = {"keyword": "empty"}
    return out


def _operand(value: Value) -> dict[str, Any]:
    if value.func is not None:
        return {
            "function": value.func,
            "arguments": list(value.args),
            "encodedOperand": f"{value.func}({', '.join(value.args)})",
        }
    encoded = f'"{value.text}"' if value.quoted else value.text
    return {"value": value.text, "encodedValue": encoded}


def jql_routes(flavour: str) -> list[Route]:
    """The JQL parse endpoint exists on Cloud only."""
    if flavour != "cloud":
        return []
    return [route("POST", r"/rest/api/{v}/jql/parse", jql_parse)]
