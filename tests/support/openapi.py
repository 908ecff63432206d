"""Check HTTP requests and responses against the vendors' OpenAPI specs (Port 3.1, Jira Cloud 3.0).

    problems = check_request("port", "POST", url, body=payload)   # [] when valid
    problems = check_response("jira", "GET", url, 200, body)

Paths are matched to the spec's templates (literal segments win over parameters), query
parameters are checked by name, requiredness and schema, and JSON bodies are validated with
``jsonschema`` against the operation's schema ($refs resolved inside the spec). Specs load once per
process (Port's YAML through libyaml when available).

Adaptations, all deliberate:
- ``\\p{L}`` in Port's patterns (unsupported by Python's ``re``) is translated to ``[^\\W\\d_]``.
- OpenAPI 3.0 ``nullable: true`` becomes a JSON-schema ``null`` alternative.
- Port's entity *response* schemas say ``additionalProperties: false`` but real entities carry
  ``PORT_ENTITY_EXTRAS``; those keys are allowed in responses.
- Port answers a few statuses its spec omits (``PORT_UNDOCUMENTED_ERRORS``: 409, 429, 5xx); their
  bodies are checked against Port's error envelope.
- Jira: anything before ``/rest/`` (a Server context path) is ignored, and REST v2 paths are
  matched against their v3 twins (same routes and parameters; v2 has plain-text rich fields).
- A composed schema (``anyOf``/``oneOf``) that says ``additionalProperties: false`` without any
  ``properties`` (Jira's ``JqlQueryClause``) would reject every object, the spec's own example too: the
  restriction is dropped there, and the alternatives still check the object.
- ``format`` is not asserted (Jira's date formats are looser than RFC 3339).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

import yaml
from jsonschema import Draft4Validator, Draft202012Validator, ValidationError
from jsonschema.validators import extend
from referencing import Registry
from referencing.jsonschema import DRAFT4, DRAFT202012

Api = Literal["port", "jira"]
ROOT = Path(__file__).resolve().parents[2]
SPEC_FILES: dict[str, Path] = {
    "port": ROOT / "tests" / "openapi" / "port-api.yaml",
    "jira": ROOT / "tests" / "openapi" / "jira-cloud-platform.v3.json",
}
PORT_ENTITY_EXTRAS = ("blueprint", "createdAt", "updatedAt", "createdBy", "updatedBy")
PORT_UNDOCUMENTED_ERRORS = frozenset({409, 429, 500, 502, 503, 504})
_ERROR_ENVELOPE = {
    "type": "object",
    "properties": {"ok": {"const": False}, "error": {"type": "string"}, "message": {"type": "string"}},
    "required": ["ok", "error"],
    "additionalProperties": False,
}
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_MAX_PROBLEMS = 10


# ---- loading ------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def _compile(pattern: str) -> re.Pattern[str]:
    letters = r"[^\W\d_]"
    translated = re.sub(
        r"\[((?:\\.|[^\]\\])*?)\\p\{L\}((?:\\.|[^\]\\])*)\]",
        lambda m: f"(?:{letters}|[{m.group(1)}{m.group(2)}])",
        pattern,
    )
    return re.compile(translated.replace(r"\p{L}", letters))


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Any:
    if isinstance(instance, str) and _compile(pattern).search(instance) is None:
        yield ValidationError(f"{instance[:80]!r} does not match {pattern!r}")


_Port = extend(Draft202012Validator, {"pattern": _pattern})
_Jira = extend(Draft4Validator, {"pattern": _pattern})


def _nullable(node: Any) -> None:
    """OpenAPI 3.0 ``nullable: true`` → JSON Schema (in place, depth-first)."""
    if isinstance(node, list):
        for item in node:
            _nullable(item)
        return
    if not isinstance(node, dict):
        return
    for value in node.values():
        _nullable(value)
    if node.pop("nullable", None) is not True:
        return
    kind = node.get("type")
    if isinstance(kind, str) and "$ref" not in node:
        node["type"] = [kind, "null"]
        if isinstance(node.get("enum"), list) and None not in node["enum"]:
            node["enum"] = [*node["enum"], None]
    else:
        inner = dict(node)
        node.clear()
        node["anyOf"] = [inner, {"type": "null"}]


def _allow_entity_extras(node: Any) -> None:
    """Let entity-shaped response objects carry the meta keys Port really returns."""
    if isinstance(node, list):
        for item in node:
            _allow_entity_extras(item)
        return
    if not isinstance(node, dict):
        return
    props = node.get("properties")
    if (
        node.get("additionalProperties") is False
        and isinstance(props, dict)
        and "identifier" in props
        and ("relations" in props or "properties" in props)
    ):
        for key in PORT_ENTITY_EXTRAS:
            props.setdefault(key, {"type": "string"})
    for value in node.values():
        _allow_entity_extras(value)


def _open_composed(node: Any) -> None:
    """Drop ``additionalProperties: false`` where it sits beside ``anyOf``/``oneOf`` without properties."""
    if isinstance(node, list):
        for item in node:
            _open_composed(item)
        return
    if not isinstance(node, dict):
        return
    if (
        node.get("additionalProperties") is False
        and "properties" not in node
        and ("anyOf" in node or "oneOf" in node)
    ):
        del node["additionalProperties"]
    for value in node.values():
        _open_composed(value)


def _load_yaml(path: Path) -> Any:
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc, valid-type]
        """Safe loader that also reads Port's stray ``tag:yaml.org,2002:value`` scalars."""

    Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=Loader)  # noqa: S506 - a SafeLoader subclass


@dataclass(slots=True)
class _Route:
    template: str
    regex: re.Pattern[str]
    names: list[str]
    item: dict[str, Any]


@dataclass(slots=True)
class _Spec:
    api: str
    doc: dict[str, Any]
    uri: str
    routes: list[_Route]
    registry: Registry[Any]
    validator_cls: Any
    validators: dict[str, Any] = field(default_factory=dict)

    def deref(self, node: Any) -> tuple[Any, str | None]:
        """Follow a local ``$ref`` (parameters, request bodies, responses); return node and pointer."""
        pointer = None
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            pointer = node["$ref"].removeprefix("#")
            node = self.doc
            for part in pointer.lstrip("/").split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
        return node, pointer

    def errors(self, pointer: str, instance: Any, root: str = "body") -> list[str]:
        validator = self.validators.get(pointer)
        if validator is None:
            validator = self.validator_cls({"$ref": f"{self.uri}#{pointer}"}, registry=self.registry)
            self.validators[pointer] = validator
        found = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        return [_describe(e, root) for e in found[:_MAX_PROBLEMS]]


def _describe(error: ValidationError, root: str = "body") -> str:
    where = root + "".join(f"[{p!r}]" for p in error.absolute_path)
    detail = error.message if len(error.message) <= 300 else error.message[:300] + "..."
    if error.context:
        causes = sorted({c.message[:120] for c in error.context})[:3]
        detail += " (" + "; ".join(causes) + ")"
    return f"{where}: {detail}"


def _routes(doc: dict[str, Any]) -> list[_Route]:
    routes = []
    for template, item in doc.get("paths", {}).items():
        names = re.findall(r"{([^}]+)}", template)
        regex = "^" + re.sub(r"\\{[^}]+\\}", "([^/]+)", re.escape(template)) + "$"
        routes.append(_Route(template, re.compile(regex), names, item))
    # Literal segments beat parameters: /entities/bulk before /entities/{id}.
    routes.sort(key=lambda r: (len(r.names), -len(r.template)))
    return routes


@cache
def load_spec(api: Api) -> _Spec:
    """The parsed, adapted spec of ``api`` (cached per process)."""
    path = SPEC_FILES[api]
    doc = _load_yaml(path) if path.suffix == ".yaml" else json.loads(path.read_text(encoding="utf-8"))
    _nullable(doc)
    _open_composed(doc)
    if api == "port":
        for item in doc["paths"].values():
            for method in _METHODS:
                if method in item:
                    _allow_entity_extras(item[method].get("responses", {}))
    uri = f"urn:openapi:{api}"
    spec = DRAFT202012 if api == "port" else DRAFT4
    registry: Registry[Any] = Registry().with_resource(uri, spec.create_resource(doc))
    validator_cls = _Port if api == "port" else _Jira
    return _Spec(api, doc, uri, _routes(doc), registry, validator_cls)


# ---- matching -----------------------------------------------------------------------------


def _api_path(api: Api, url: str) -> str:
    path = urlsplit(url).path
    if api == "jira":
        at = path.find("/rest/")
        path = path[at:] if at >= 0 else path
        path = re.sub(r"^/rest/api/(2|latest)/", "/rest/api/3/", path)
    return path


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@dataclass(slots=True)
class _Match:
    spec: _Spec
    route: _Route
    method: str
    operation: dict[str, Any]
    path_values: dict[str, str]

    @property
    def pointer(self) -> str:
        return f"/paths/{_escape(self.route.template)}/{self.method}"

    def parameters(self) -> list[tuple[dict[str, Any], str]]:
        found: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
        path_level = (self.route.item, f"/paths/{_escape(self.route.template)}")
        for source, base in (path_level, (self.operation, self.pointer)):
            for index, raw in enumerate(source.get("parameters", [])):
                param, ref = self.spec.deref(raw)
                found[(param["name"], param["in"])] = (param, ref or f"{base}/parameters/{index}")
        return list(found.values())


def _match(api: Api, method: str, url: str) -> tuple[_Match | None, list[str]]:
    spec = load_spec(api)
    path = _api_path(api, url)
    verb = method.lower()
    path_matched = False
    for route in spec.routes:
        found = route.regex.match(path)
        if found is None:
            continue
        path_matched = True
        operation = route.item.get(verb)
        if isinstance(operation, dict):
            values = {n: unquote(v) for n, v in zip(route.names, found.groups(), strict=True)}
            return _Match(spec, route, verb, operation, values), []
    if path_matched:
        return None, [f"{method.upper()} is not an operation of {path} in the {api} spec"]
    return None, [f"{path} matches no path of the {api} spec"]


def _json_schema_pointer(spec: _Spec, holder: dict[str, Any], pointer: str) -> str | None:
    content = holder.get("content") or {}
    for media in content:
        if "json" in media and "schema" in content[media]:
            return f"{pointer}/content/{_escape(media)}/schema"
    return None


def _coerce(value: str, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "boolean" in kinds and value in {"true", "false"}:
        return value == "true"
    for name, convert in (("integer", int), ("number", float)):
        if name in kinds:
            try:
                return convert(value)
            except ValueError:
                return value
    return value


def _check_parameters(match: _Match, query: dict[str, list[str]]) -> list[str]:
    problems = []
    declared: set[str] = set()
    for param, pointer in match.parameters():
        name, where, schema = param["name"], param["in"], param.get("schema") or {}
        if where == "query":
            declared.add(name)
            values = query.get(name)
            if values is None:
                if param.get("required"):
                    problems.append(f"query parameter {name!r} is required")
                continue
            kind = schema.get("type")
            if kind == "array" or (isinstance(kind, list) and "array" in kind):
                if param.get("explode", True) is False:
                    values = [v for raw in values for v in raw.split(",")]
                instance: Any = [_coerce(v, schema.get("items") or {}) for v in values]
            elif len(values) > 1:
                problems.append(f"query parameter {name!r} is repeated")
                continue
            else:
                instance = _coerce(values[0], schema)
            problems += match.spec.errors(f"{pointer}/schema", instance, f"query {name}")
        elif where == "path" and name in match.path_values:
            instance = _coerce(match.path_values[name], schema)
            problems += match.spec.errors(f"{pointer}/schema", instance, f"path {name}")
    problems += [f"query parameter {name!r} is not in the spec" for name in query if name not in declared]
    return problems


# ---- public API ---------------------------------------------------------------------------


def check_request(api: Api, method: str, url: str, *, body: Any = None) -> list[str]:
    """Problems of a request (empty = valid): path, method, query parameters and JSON body."""
    match, problems = _match(api, method, url)
    if match is None:
        return problems
    problems = _check_parameters(match, parse_qs(urlsplit(url).query, keep_blank_values=True))
    raw_body = match.operation.get("requestBody")
    if raw_body is None:
        if body is not None:
            problems.append("the operation takes no request body")
        return problems
    request_body, ref = match.spec.deref(raw_body)
    if body is None:
        if request_body.get("required"):
            problems.append("a request body is required")
        return problems
    pointer = _json_schema_pointer(match.spec, request_body, ref or f"{match.pointer}/requestBody")
    if pointer is not None:
        problems += match.spec.errors(pointer, body)
    return problems


def check_response(api: Api, method: str, url: str, status: int, body: Any) -> list[str]:
    """Problems of a response (empty = valid): documented status and JSON body schema."""
    match, problems = _match(api, method, url)
    if match is None:
        return problems
    responses = match.operation.get("responses") or {}
    key = next((k for k in (str(status), f"{str(status)[0]}XX", "default") if k in responses), None)
    if key is None:
        if api == "port" and status in PORT_UNDOCUMENTED_ERRORS:
            errors = Draft202012Validator(_ERROR_ENVELOPE).iter_errors(body)
            return [_describe(e) for e in errors]
        return [f"status {status} is not documented for {method.upper()} {match.route.template}"]
    response, ref = match.spec.deref(responses[key])
    pointer = _json_schema_pointer(match.spec, response, ref or f"{match.pointer}/responses/{key}")
    if pointer is None:
        return [] if body in (None, "", b"") else [f"status {status} documents no JSON body"]
    return match.spec.errors(pointer, body)
