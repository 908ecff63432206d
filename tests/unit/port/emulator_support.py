"""Shared set-up for the emulator rule tests: test blueprints, a controllable clock, raw HTTP calls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from jira_port_emulators.port import PortEmulator

TEAM: dict[str, Any] = {"identifier": "team", "title": "Team", "schema": {"properties": {}, "required": []}}
SERVICE: dict[str, Any] = {
    "identifier": "service",
    "title": "Service",
    "schema": {
        "properties": {
            "name": {"type": "string"},
            "url": {"type": "string", "format": "url"},
            "when": {"type": "string", "format": "date-time"},
            "mail": {"type": "string", "format": "email"},
            "tier": {"type": "string", "enum": ["gold", "silver"]},
            "count": {"type": "number"},
            "live": {"type": "boolean"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "meta": {"type": "object"},
        },
        "required": ["name"],
    },
    "relations": {
        "team": {"target": "team", "required": True, "many": False},
        "deps": {"target": "service", "required": False, "many": True},
        "buddy": {"target": "service", "required": False, "many": False},
    },
}


class Clock:
    """A settable clock for token expiry."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Api:
    """Raw HTTP access to a running emulator, authenticated unless told otherwise."""

    emu: PortEmulator
    clock: Clock
    session: requests.Session

    @property
    def url(self) -> str:
        assert self.emu.url is not None
        return self.emu.url

    def token(self) -> str:
        answer = self.session.post(
            f"{self.url}/v1/auth/access_token", json={"clientId": "cid", "clientSecret": "csecret"}
        )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["accessToken"])

    def call(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if auth:
            headers["Authorization"] = f"Bearer {self.token()}"
        return self.session.request(method, f"{self.url}{path}", headers=headers, timeout=10, **kwargs)

    def upsert(self, bp: str, entity: dict[str, Any], **params: str) -> requests.Response:
        query = {"upsert": "true", **params}
        return self.call("POST", f"/v1/blueprints/{bp}/entities", params=query, json=entity)

    def service(self, ident: str, **extra: Any) -> requests.Response:
        entity = {"identifier": ident, "properties": {"name": ident}, "relations": {"team": "core"}, **extra}
        return self.upsert("service", entity, create_missing_related_entities="true")
