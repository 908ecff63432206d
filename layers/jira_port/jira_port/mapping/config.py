"""Parse and validate a mapping config in Port's webhook-mapping format.

Every problem is found here, at load time, and reported together with the rule index, the field
path and (for jq) the compiler's message; evaluating an event never meets an invalid config.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from jira_port.mapping.checks import MappingError, MappingProblem, precheck
from jira_port.mapping.model import JqField, Rule, Slot, Template
from jira_port.mapping.quotes import format_filter

if TYPE_CHECKING:
    from yaml import SafeLoader

Format = Literal["json", "yaml"]

RULE_KEYS = frozenset({"blueprint", "filter", "itemsToParse", "operation", "entity"})
ENTITY_KEYS = ("identifier", "title", "icon", "team", "properties", "relations")
QUERY_KEYS = frozenset({"combinator", "rules"})
# Port's blueprint identifier (``\p{L}`` approximated by ``\w``) and property/relation key patterns.
_BLUEPRINT_ID = re.compile(r"^(?!\.{1,2}$)[\w@.+:\\/-]{1,100}$")
_PROPERTY_KEY = re.compile(r"^[A-Za-z0-9@_=\\-]{1,100}$")


def parse_text(text: str, fmt: Format | None = None, source: str = "mapping") -> Any:
    """Parse JSON or YAML (``fmt=None``: JSON when it parses as JSON, else YAML); duplicate keys fail."""
    if fmt != "yaml":
        try:
            return json.loads(text, object_pairs_hook=_no_duplicates)
        except _DuplicateKeyError as exc:
            raise MappingError([MappingProblem(None, "", str(exc))], source) from None
        except json.JSONDecodeError as exc:
            if fmt == "json" or text.lstrip()[:1] in ("[", "{"):
                message = f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
                raise MappingError([MappingProblem(None, "", message)], source) from None
    import yaml  # noqa: PLC0415 - YAML mappings only (the bundled ones load from JSON)

    try:
        return yaml.load(text, Loader=_strict_loader())  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise MappingError([MappingProblem(None, "", f"not valid YAML: {exc}")], source) from None


def rules_from_document(document: Any, source: str = "mapping") -> tuple[Rule, ...]:
    """Validate a parsed config (a rule list or Port's webhook object) and build its rules."""
    validator = _Validator()
    raw_rules = validator.rule_list(document)
    rules = tuple(
        rule for index, raw in enumerate(raw_rules) if (rule := validator.rule(index, raw)) is not None
    )
    if validator.problems:
        raise MappingError(validator.problems, source)
    return rules


class _Validator:
    def __init__(self) -> None:
        self.problems: list[MappingProblem] = []

    def fail(self, rule: int | None, path: str, message: str) -> None:
        self.problems.append(MappingProblem(rule, path, message))

    def rule_list(self, document: Any) -> list[Any]:
        if isinstance(document, dict) and isinstance(document.get("integration"), dict):
            document = document["integration"]  # Port's GET /v1/webhooks/{id} response
        if isinstance(document, dict):
            if "mappings" not in document:
                hint = ""
                if "resources" in document:
                    hint = (
                        " (this looks like an Ocean integration config; jira-port uses Port's webhook "
                        "mapping format, where blueprint is a literal and expressions read .body)"
                    )
                self.fail(None, "", "expected a list of rules or a webhook object with 'mappings'" + hint)
                return []
            document = document["mappings"]
        if not isinstance(document, list):
            self.fail(None, "", f"expected a list of rules, got {_type_name(document)}")
            return []
        if not document:
            self.fail(None, "", "the mapping has no rules")
        return document

    def rule(self, index: int, raw: Any) -> Rule | None:
        if not isinstance(raw, dict):
            self.fail(index, "", f"a rule must be an object, got {_type_name(raw)}")
            return None
        before = len(self.problems)
        for key in sorted(set(raw) - RULE_KEYS):
            self.fail(index, key, f"unknown key (allowed: {', '.join(sorted(RULE_KEYS))})")
        blueprint = raw.get("blueprint")
        if not isinstance(blueprint, str) or not _BLUEPRINT_ID.match(blueprint):
            got = "missing" if blueprint is None else repr(blueprint)
            quotes = "\"'"
            if isinstance(blueprint, str) and blueprint.strip(quotes) != blueprint:
                got += f" (not jq: write {blueprint.strip(quotes)}, not an Ocean-style quoted string)"
            self.fail(index, "blueprint", f"must be a blueprint identifier (a literal string), got {got}")
        operation, delete_dependents = self.operation(index, raw.get("operation", "create"))
        filter_field = self.optional_jq(index, raw, "filter")
        items = self.optional_jq(index, raw, "itemsToParse")
        fields: list[JqField] = []
        template = self.entity(index, raw.get("entity"), operation, fields)
        if len(self.problems) > before or template is None:
            return None
        return Rule(
            index=index,
            blueprint=str(blueprint),
            operation=operation,
            delete_dependents=delete_dependents,
            filter=filter_field,
            items=items,
            template=template,
            fields=tuple(fields),
        )

    def operation(self, index: int, raw: Any) -> tuple[Literal["upsert", "delete"], bool | None]:
        if raw in ("create", {"type": "create"}):
            return "upsert", None
        if raw == "delete":
            return "delete", True  # Port: a plain "delete" deletes dependents
        if isinstance(raw, dict) and raw.get("type") == "delete" and set(raw) <= {"type", "deleteDependents"}:
            dependents = raw.get("deleteDependents", False)
            if isinstance(dependents, bool):
                return "delete", dependents
            self.fail(index, "operation.deleteDependents", f"must be true or false, got {dependents!r}")
            return "delete", False
        self.fail(
            index,
            "operation",
            'must be "create", "delete", {"type": "create"} or {"type": "delete", "deleteDependents": '
            f"true|false}}, got {json.dumps(raw)}",
        )
        return "upsert", None

    def optional_jq(self, index: int, raw: dict[str, Any], key: str) -> JqField | None:
        if key not in raw:
            return None
        return self.jq(index, key, raw[key])

    def jq(self, index: int, path: str, expression: Any) -> JqField | None:
        if not isinstance(expression, str):
            hint = (
                ' (quote it, e.g. "\'text\'" or "true")' if isinstance(expression, bool | int | float) else ""
            )
            self.fail(index, path, f"must be a jq expression string, got {_type_name(expression)}{hint}")
            return None
        if not expression.strip():
            self.fail(index, path, "empty jq expression")
            return None
        jq_field = JqField(path=path, expression=expression, program=format_filter(expression))
        error = precheck(jq_field)
        if error is not None:
            self.fail(index, path, f"jq error: {error} (expression: {expression})")
            return None
        return jq_field

    def entity(
        self, index: int, raw: Any, operation: str, fields: list[JqField]
    ) -> dict[str, Template] | None:
        if not isinstance(raw, dict):
            self.fail(
                index, "entity", f"must be an object, got {'missing' if raw is None else _type_name(raw)}"
            )
            return None
        allowed = ("identifier",) if operation == "delete" else ENTITY_KEYS
        for key in sorted(set(raw) - set(allowed)):
            why = "a delete rule's entity holds only identifier" if key in ENTITY_KEYS else "unknown key"
            self.fail(index, f"entity.{key}", f"{why} (allowed: {', '.join(allowed)})")
        if "identifier" not in raw:
            self.fail(index, "entity.identifier", "missing (every rule needs an identifier)")
        template: dict[str, Template] = {}
        for key in allowed:
            if key not in raw and key in ("identifier", "properties", "relations"):
                if key != "identifier" and operation == "upsert":
                    template[key] = {}
                continue
            if key not in raw:
                continue
            path = f"entity.{key}"
            value = raw[key]
            if key in ("properties", "relations"):
                template[key] = self.keyed(index, path, value, fields, queries=key == "relations")
            elif key in ("title", "icon") or operation == "delete":
                template[key] = self.slot(index, path, value, fields)
            else:  # identifier or team of an upsert: a jq string or a search query
                template[key] = self.value(index, path, value, fields)
        return template

    def keyed(
        self, index: int, path: str, raw: Any, fields: list[JqField], *, queries: bool
    ) -> dict[str, Template]:
        if not isinstance(raw, dict):
            self.fail(index, path, f"must be an object, got {_type_name(raw)}")
            return {}
        out: dict[str, Template] = {}
        for key, value in raw.items():
            if not _PROPERTY_KEY.match(str(key)):
                self.fail(index, f"{path}.{key}", "invalid key (Port allows letters, digits, @ _ = -)")
                continue
            sub = f"{path}.{key}"
            out[key] = (
                self.value(index, sub, value, fields) if queries else self.slot(index, sub, value, fields)
            )
        return out

    def slot(self, index: int, path: str, raw: Any, fields: list[JqField]) -> Template:
        jq_field = self.jq(index, path, raw)
        if jq_field is None:
            return None
        fields.append(jq_field)
        return Slot(len(fields) - 1)

    def value(self, index: int, path: str, raw: Any, fields: list[JqField]) -> Template:
        """A jq string, or a search query ``{combinator, rules}`` whose string leaves are jq."""
        if isinstance(raw, dict):
            missing = QUERY_KEYS - set(raw)
            extra = set(raw) - QUERY_KEYS
            if missing or extra:
                self.fail(index, path, "a search query needs exactly the keys combinator and rules")
                return None
            if not isinstance(raw["rules"], list):
                self.fail(index, f"{path}.rules", f"must be a list, got {_type_name(raw['rules'])}")
                return None
            return {
                "combinator": self.slot(index, f"{path}.combinator", raw["combinator"], fields),
                "rules": [
                    self.query_rule(index, f"{path}.rules[{i}]", r, fields)
                    for i, r in enumerate(raw["rules"])
                ],
            }
        return self.slot(index, path, raw, fields)

    def query_rule(self, index: int, path: str, raw: Any, fields: list[JqField]) -> Template:
        if not isinstance(raw, dict):
            self.fail(index, path, f"a search rule must be an object, got {_type_name(raw)}")
            return None
        if set(raw) >= QUERY_KEYS:
            return self.value(index, path, raw, fields)  # a nested query
        return {key: self.leaf(index, f"{path}.{key}", value, fields) for key, value in raw.items()}

    def leaf(self, index: int, path: str, raw: Any, fields: list[JqField]) -> Template:
        if isinstance(raw, str):
            return self.slot(index, path, raw, fields)
        if isinstance(raw, list):
            return [self.leaf(index, f"{path}[{i}]", v, fields) for i, v in enumerate(raw)]
        if isinstance(raw, dict):
            return self.query_rule(index, path, raw, fields)
        if raw is None or isinstance(raw, bool | int | float):
            return raw
        self.fail(index, path, f"unsupported value {_type_name(raw)}")
        return None


class _DuplicateKeyError(ValueError): ...


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKeyError(f"duplicate key {key!r}")
        out[key] = value
    return out


@cache
def _strict_loader() -> type[SafeLoader]:
    """A safe loader (libyaml's when there: ~20x faster) rejecting duplicate keys (``<<`` merges aside)."""
    import yaml  # noqa: PLC0415
    from yaml.constructor import ConstructorError  # noqa: PLC0415

    def construct_mapping(loader: SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = loader.construct_object(key_node)
            if key in seen:
                where = ("while constructing a mapping", node.start_mark)
                raise ConstructorError(*where, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        loader.flatten_mapping(node)
        return dict(loader.construct_pairs(node))

    loader: type[SafeLoader] = type("StrictLoader", (getattr(yaml, "CSafeLoader", yaml.SafeLoader),), {})
    loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return loader


_TYPE_NAMES = {type(None): "null", dict: "an object", list: "a list", str: "a string", bool: "a boolean"}


def _type_name(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)
