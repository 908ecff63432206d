"""Admin webhook registrations: ``/rest/webhooks/1.0/webhook`` and DC 10's ``/rest/jira-webhook/1.0``."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

LEGACY = "legacy"
DC10 = "dc10"


class RegistrationError(ValueError):
    """A registration body Jira would reject (answered 400)."""


@dataclass
class Registration:
    id: int
    name: str
    url: str
    events: list[str]
    jql: str
    exclude_body: bool
    secret: str | None
    enabled: bool
    created: int
    updated: int
    user: str
    extra: dict[str, Any] = field(default_factory=dict)

    def wants(self, event: str) -> bool:
        return self.enabled and event in self.events


def _parse(body: Any, *, now: int) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise RegistrationError("The request body must be a JSON object.")
    url = body.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise RegistrationError("The webhook URL is missing or invalid.")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RegistrationError("The webhook name must not be empty.")
    events = body.get("events") or []
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        raise RegistrationError("events must be a list of event names.")
    filters = body.get("filters") or {}
    jql = filters.get("issue-related-events-section", "") if isinstance(filters, dict) else ""
    secret = body.get("secret")
    enabled = body.get("enabled", body.get("active", True))
    return {
        "name": name.strip(),
        "url": url,
        "events": list(events),
        "jql": str(jql or ""),
        "exclude_body": bool(body.get("excludeBody", False)),
        "secret": secret if isinstance(secret, str) and secret else None,
        "enabled": str(enabled).lower() != "false",
        "updated": now,
        "extra": {k: body[k] for k in ("configuration", "sslVerificationRequired") if k in body},
    }


class Registry:
    """Thread-safe store of registrations (ids start at 1)."""

    def __init__(self) -> None:
        self._items: dict[int, Registration] = {}
        self._next = 1
        self._lock = threading.Lock()

    def all(self) -> list[Registration]:
        with self._lock:
            return list(self._items.values())

    def get(self, reg_id: int) -> Registration | None:
        with self._lock:
            return self._items.get(reg_id)

    def create(self, body: Any, *, user: str, now: int) -> Registration:
        values = _parse(body, now=now)
        with self._lock:
            reg = Registration(id=self._next, created=now, user=user, **values)
            self._items[reg.id] = reg
            self._next += 1
            return reg

    def update(self, reg_id: int, body: Any, *, user: str, now: int) -> Registration | None:
        values = _parse(body, now=now)
        with self._lock:
            old = self._items.get(reg_id)
            if old is None:
                return None
            if values["secret"] is None:
                values["secret"] = old.secret  # Jira keeps a secret that is not sent again
            reg = Registration(id=reg_id, created=old.created, user=user, **values)
            self._items[reg_id] = reg
            return reg

    def delete(self, reg_id: int) -> bool:
        with self._lock:
            return self._items.pop(reg_id, None) is not None


def render(reg: Registration, base_url: str, api: str) -> dict[str, Any]:
    """A registration as the legacy API (``self`` ends in the id) or the DC 10 API (numeric ``id``)."""
    if api == DC10:
        return {
            "id": reg.id,
            "name": reg.name,
            "url": reg.url,
            "events": reg.events,
            "createdDate": reg.created,
            "updatedDate": reg.updated,
            "configuration": {"EXCLUDE_BODY": str(reg.exclude_body).lower(), "FILTERS": reg.jql},
            "active": reg.enabled,
            "scopeType": "GLOBAL",
            "sslVerificationRequired": bool(reg.extra.get("sslVerificationRequired", True)),
        }
    return {
        "self": f"{base_url}/rest/webhooks/1.0/webhook/{reg.id}",
        "name": reg.name,
        "url": reg.url,
        "excludeBody": reg.exclude_body,
        "filters": {"issue-related-events-section": reg.jql},
        "events": reg.events,
        "enabled": reg.enabled,
        "isSigned": reg.secret is not None,
        "lastUpdatedUser": reg.user,
        "lastUpdatedDisplayName": reg.user,
        "lastUpdated": reg.updated,
    }
