"""Port's webhook data sources (``/v1/webhooks``): create, read, patch, with the role rule.

Shapes from tests/openapi/port-api.yaml (``POST /v1/webhooks``, ``PATCH``/``GET /v1/webhooks/{identifier}``)
and Port's docs (the object is answered under ``integration`` with ``webhookKey`` and ``url``). Reading
or changing webhooks needs the ``moderator`` or ``admin`` role (the spec's permission note on these
routes); a credential with another role gets 403. See docs/port-behaviour.md.
"""

from __future__ import annotations

import copy
import re
import secrets
from collections.abc import Callable
from typing import Any

from jira_port_emulators.port.errors import ApiError, invalid, not_found

WEBHOOK_ROLES = frozenset({"moderator", "admin"})
INGEST_URL = "https://ingest.port.io"
_IDENTIFIER = re.compile(r"^[A-Za-z0-9@_.+:\\/=-]+$")
_KEYS = frozenset(
    {"identifier", "title", "description", "icon", "enabled", "mappings", "security", "integrationType"}
)
_MAPPING_KEYS = frozenset({"blueprint", "filter", "itemsToParse", "operation", "entity"})
_ENTITY_KEYS = frozenset({"identifier", "title", "icon", "team", "properties", "relations"})
_LIMITS = {"identifier": 30, "title": 30, "description": 200}


def require_role(role: str) -> None:
    """403 unless ``role`` may read and change webhooks."""
    if role not in WEBHOOK_ROLES:
        raise ApiError(403, "forbidden", "this route requires the moderator or admin role")


def _check_mapping(index: int, item: Any) -> None:
    where = f"body/mappings/{index}"
    if not isinstance(item, dict):
        raise invalid(f"{where} must be object")
    if set(item) - _MAPPING_KEYS:
        raise invalid(f"{where} must NOT have additional properties {sorted(set(item) - _MAPPING_KEYS)}")
    if not isinstance(item.get("blueprint"), str) or not isinstance(item.get("entity"), dict):
        raise invalid(f"{where} must have required properties 'blueprint' and 'entity'")
    entity = item["entity"]
    if set(entity) - _ENTITY_KEYS:
        raise invalid(f"{where}/entity must NOT have additional properties")
    if "identifier" not in entity:
        raise invalid(f"{where}/entity must have required property 'identifier'")


def check_body(body: Any, *, create: bool) -> dict[str, Any]:
    """The body validated as the spec's create (``create=True``) or patch schema; 422 otherwise."""
    if not isinstance(body, dict):
        raise invalid("body must be object")
    if set(body) - _KEYS:
        raise invalid(f"body must NOT have additional properties {sorted(set(body) - _KEYS)}")
    if create and ("title" not in body or "enabled" not in body):
        raise invalid("body must have required properties 'title' and 'enabled'")
    for key, limit in _LIMITS.items():
        if key in body and (not isinstance(body[key], str) or len(body[key]) > limit):
            raise invalid(f"body/{key} must be a string of at most {limit} characters")
    if "identifier" in body and not _IDENTIFIER.match(body["identifier"]):
        raise invalid("body/identifier must match Port's identifier pattern")
    if "enabled" in body and not isinstance(body["enabled"], bool):
        raise invalid("body/enabled must be boolean")
    if "mappings" in body:
        if not isinstance(body["mappings"], list):
            raise invalid("body/mappings must be array")
        for index, item in enumerate(body["mappings"]):
            _check_mapping(index, item)
    if "security" in body and not isinstance(body["security"], dict):
        raise invalid("body/security must be object")
    if body.get("integrationType", "custom") not in {"custom", "template"}:
        raise invalid("body/integrationType must be equal to one of the allowed values")
    return body


class WebhookStore:
    """The webhook data sources of one emulated organisation (callers hold the store's lock)."""

    def __init__(self, stamp: Callable[[dict[str, Any], dict[str, Any] | None], None]) -> None:
        self._stamp = stamp
        self.webhooks: dict[str, dict[str, Any]] = {}

    def get(self, identifier: str) -> dict[str, Any]:
        """The stored webhook or 404."""
        found = self.webhooks.get(identifier)
        if found is None:
            raise not_found(f"webhook {identifier!r} was not found")
        return copy.deepcopy(found)

    def create(self, body: Any) -> dict[str, Any]:
        """``POST /v1/webhooks`` (409 when the identifier exists)."""
        body = check_body(body, create=True)
        identifier = body.get("identifier") or f"webhook-{secrets.token_hex(4)}"
        if identifier in self.webhooks:
            raise ApiError(409, "conflict", f"webhook {identifier!r} already exists")
        key = secrets.token_hex(16)
        record: dict[str, Any] = {
            "identifier": identifier,
            "title": body["title"],
            "description": body.get("description"),
            "icon": body.get("icon"),
            "enabled": body["enabled"],
            "mappings": copy.deepcopy(body.get("mappings", [])),
            "security": copy.deepcopy(body.get("security", {})),
            "integrationType": body.get("integrationType", "custom"),
            "webhookKey": key,
            "url": f"{INGEST_URL}/{key}",
        }
        self._stamp(record, None)
        self.webhooks[identifier] = record
        return copy.deepcopy(record)

    def patch(self, identifier: str, body: Any) -> dict[str, Any]:
        """``PATCH /v1/webhooks/{identifier}``: the given keys replace the stored ones."""
        existing = self.get(identifier)
        body = check_body(body, create=False)
        if body.get("identifier", identifier) != identifier:
            raise invalid("changing a webhook identifier is not supported by the local Port emulator")
        record = {**existing, **copy.deepcopy(body)}
        self._stamp(record, existing)
        self.webhooks[identifier] = record
        return copy.deepcopy(record)
