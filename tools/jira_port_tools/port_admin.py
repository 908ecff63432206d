"""Port calls only the tools make (blueprints, single entities): the functions run none of them.

Each takes a ``PortClient`` and sends on its session, so tokens, retries and error decoding are the
client's own; single-entity writes follow Port's rules in ``jira_port.port.writes``.
"""

from __future__ import annotations

from typing import Any

from jira_port.port.client import PortClient
from jira_port.port.types import segment
from jira_port.port.writes import delete_one, entities_path, upsert_one


def upsert_entity(
    client: PortClient, blueprint: str, entity: dict[str, Any], *, merge: bool = True
) -> dict[str, Any]:
    """Create or update one entity; returns the stored entity. Raises ``PortAPIError``."""
    return upsert_one(client.api, blueprint, entity, client.upsert_params[merge])


def delete_entity(
    client: PortClient, blueprint: str, identifier: str, *, delete_dependents: bool = False
) -> bool:
    """Delete one entity; False when it was already gone. Raises ``PortAPIError``."""
    return delete_one(client.api, blueprint, identifier, delete_dependents)


def get_entity(client: PortClient, blueprint: str, identifier: str) -> dict[str, Any] | None:
    """The stored entity, or None when it does not exist."""
    response = client.api.call(
        "GET", entities_path(blueprint, f"/{segment(identifier)}"), blueprint=blueprint, identifier=identifier
    )
    if response.status == 404:
        return None
    if not response.ok:
        raise response.error(blueprint, identifier)
    entity = response.body.get("entity") if isinstance(response.body, dict) else None
    return entity if isinstance(entity, dict) else None


def get_blueprint(client: PortClient, identifier: str) -> dict[str, Any] | None:
    """The blueprint definition, or None when it does not exist."""
    response = client.api.call("GET", f"/v1/blueprints/{segment(identifier)}", blueprint=identifier)
    if response.status == 404:
        return None
    if not response.ok:
        raise response.error(identifier)
    found = response.body.get("blueprint") if isinstance(response.body, dict) else None
    return found if isinstance(found, dict) else None


def create_blueprint(client: PortClient, definition: dict[str, Any]) -> dict[str, Any]:
    """``POST /v1/blueprints``; returns Port's stored blueprint."""
    ident = str(definition.get("identifier"))
    response = client.api.call("POST", "/v1/blueprints", body=definition, blueprint=ident)
    if not response.ok:
        raise response.error(ident)
    return dict(response.body.get("blueprint") or {}) if isinstance(response.body, dict) else {}


def update_blueprint(client: PortClient, definition: dict[str, Any]) -> dict[str, Any]:
    """``PUT /v1/blueprints/{identifier}`` (full replace); returns Port's stored blueprint."""
    ident = str(definition.get("identifier"))
    response = client.api.call("PUT", f"/v1/blueprints/{segment(ident)}", body=definition, blueprint=ident)
    if not response.ok:
        raise response.error(ident)
    return dict(response.body.get("blueprint") or {}) if isinstance(response.body, dict) else {}
