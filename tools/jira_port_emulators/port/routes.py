"""Port's REST routes over ``PortStore``: parameters, bodies, status codes and answer shapes."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jira_port_emulators.port.entity_rules import check_shape
from jira_port_emulators.port.errors import ApiError, invalid, not_found
from jira_port_emulators.port.search import project, search
from jira_port_emulators.port.store import ACTOR, PortStore
from jira_port_emulators.port.tokens import TokenIssuer
from jira_port_emulators.port.webhooks import require_role

MAX_BODY_BYTES = 1024 * 1024
MAX_BULK_ENTITIES = 20
MAX_BULK_DELETE = 100
_PATCH_KEYS = frozenset({"identifier", "title", "icon", "team", "properties", "relations"})

Answer = tuple[int, dict[str, Any]]


@dataclass(slots=True)
class Request:
    """One decoded HTTP request (path segments are URL-decoded)."""

    method: str
    segments: list[str]
    query: dict[str, list[str]] = field(default_factory=dict)
    raw_body: bytes = b""
    content_type: str = ""
    authorization: str | None = None
    body: Any = None

    def flag(self, name: str, *, required: bool = False) -> bool:
        """A boolean query parameter (``true``/``false``); 422 when malformed or required and absent."""
        values = self.query.get(name)
        if not values:
            if required:
                raise invalid(f"querystring must have required property '{name}'")
            return False
        if values[-1] not in {"true", "false"}:
            raise invalid(f"querystring/{name} must be boolean")
        return values[-1] == "true"


class Router:
    """Maps a request to the store and returns ``(status, JSON body)``."""

    def __init__(self, store: PortStore, tokens: TokenIssuer, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.store = store
        self.tokens = tokens
        self.max_body_bytes = max_body_bytes

    def handle(self, req: Request) -> Answer:
        """Route, authenticate, parse the body and run the handler (errors become ``ApiError``)."""
        handler, args = self._resolve(req)
        actor = None if handler == self._token else self.tokens.check(req.authorization)
        if len(req.raw_body) > self.max_body_bytes:
            raise ApiError(413, "request_too_large", "request body is too large (limit is 1MiB)")
        if req.raw_body:
            if "json" not in req.content_type.lower():
                raise ApiError(415, "unsupported_media_type", "the body must be application/json")
            try:
                req.body = json.loads(req.raw_body)
            except ValueError:
                raise ApiError(400, "invalid_json", "the body is not valid JSON") from None
        if handler in (self._create_webhook, self._webhook):
            require_role(self.tokens.role(actor or ""))
        with self.store.lock:
            self.store.actor = actor or ACTOR
            return handler(req, *args)

    def _resolve(self, req: Request) -> tuple[Callable[..., Answer], tuple[str, ...]]:  # noqa: PLR0911
        m, s = req.method, req.segments
        match s:
            case ["v1", "auth", "access_token"] if m == "POST":
                return self._token, ()
            case ["v1", "blueprints"] if m in {"GET", "POST"}:
                return (self._list_blueprints if m == "GET" else self._create_blueprint), ()
            case ["v1", "blueprints", bp] if m in {"GET", "PUT", "PATCH", "DELETE"}:
                return self._blueprint, (bp,)
            case ["v1", "blueprints", bp, "entities"] if m in {"GET", "POST"}:
                return (self._list_entities if m == "GET" else self._upsert), (bp,)
            case ["v1", "blueprints", bp, "entities", "bulk"] if m == "POST":
                return self._bulk_upsert, (bp,)
            case ["v1", "blueprints", bp, "entities", "search"] if m == "POST":
                return self._search, (bp,)
            case ["v1", "blueprints", bp, "entities-count"] if m == "GET":
                return self._count, (bp,)
            case ["v1", "blueprints", bp, "entities", ident] if m in {"GET", "PUT", "PATCH", "DELETE"}:
                return self._entity, (bp, ident)
            case ["v1", "blueprints", bp, "bulk", "entities", "delete"] if m == "POST":
                return self._bulk_delete, (bp,)
            case ["v1", "blueprints", bp, "all-entities"] if m == "DELETE":
                return self._delete_all, (bp,)
            case ["v1", "webhooks"] if m == "POST":
                return self._create_webhook, ()
            case ["v1", "webhooks", ident] if m in {"GET", "PATCH"}:
                return self._webhook, (ident,)
        raise not_found(f"Route {m}:/{'/'.join(s)} not found")

    # ---- auth and blueprints ----------------------------------------------------------

    def _token(self, req: Request) -> Answer:
        return 200, self.tokens.issue(req.body)

    def _list_blueprints(self, req: Request) -> Answer:
        return 200, {"ok": True, "blueprints": [dict(b) for b in self.store.blueprints.values()]}

    def _create_blueprint(self, req: Request) -> Answer:
        return 201, {"ok": True, "blueprint": dict(self.store.create_blueprint(req.body))}

    def _blueprint(self, req: Request, bp: str) -> Answer:
        match req.method:
            case "GET":
                return 200, {"ok": True, "blueprint": dict(self.store.blueprint(bp))}
            case "PUT":
                return 200, {"ok": True, "blueprint": dict(self.store.replace_blueprint(bp, req.body))}
            case "PATCH":
                return 200, {"ok": True, "blueprint": dict(self.store.patch_blueprint(bp, req.body))}
        self.store.delete_blueprint(bp)
        return 200, {"ok": True}

    # ---- webhook data sources ---------------------------------------------------------

    def _create_webhook(self, req: Request) -> Answer:
        return 201, {"ok": True, "integration": self.store.webhooks.create(req.body)}

    def _webhook(self, req: Request, ident: str) -> Answer:
        if req.method == "GET":
            return 200, {"ok": True, "integration": self.store.webhooks.get(ident)}
        return 200, {"ok": True, "integration": self.store.webhooks.patch(ident, req.body)}

    # ---- entity writes ----------------------------------------------------------------

    def _upsert(self, req: Request, bp: str) -> Answer:
        entity, _ = self.store.write_entity(
            bp,
            req.body,
            upsert=req.flag("upsert", required=True),
            merge=req.flag("merge"),
            create_missing=req.flag("create_missing_related_entities"),
            validation_only=req.flag("validation_only"),
        )
        return 201, {"ok": True, "entity": entity}

    def _bulk_upsert(self, req: Request, bp: str) -> Answer:
        body = req.body
        if not isinstance(body, dict) or set(body) != {"entities"} or not isinstance(body["entities"], list):
            raise invalid('body must be exactly {"entities": [...]}')
        if not 1 <= len(body["entities"]) <= MAX_BULK_ENTITIES:
            raise invalid(f"entities must hold 1 to {MAX_BULK_ENTITIES} items")
        options = {
            "upsert": req.flag("upsert", required=True),
            "merge": req.flag("merge"),
            "create_missing": req.flag("create_missing_related_entities"),
            "validation_only": req.flag("validation_only"),
        }
        for index, item in enumerate(body["entities"]):
            check_shape(item, f"body/entities/{index}")
        self.store.blueprint(bp)
        done: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for index, item in enumerate(body["entities"]):
            try:
                entity, created = self.store.write_entity(bp, item, **options)
            except ApiError as exc:
                ident = item.get("identifier") if isinstance(item, dict) else None
                errors.append({
                    "identifier": ident if isinstance(ident, str) else "unknown",
                    "index": index, "statusCode": exc.status, "error": exc.error, "message": exc.message,
                })  # fmt: skip
            else:
                done.append({"created": created, "identifier": entity["identifier"], "index": index})
        return (207 if errors else 200), {"ok": not errors, "entities": done, "errors": errors}

    def _entity(self, req: Request, bp: str, ident: str) -> Answer:
        if req.method == "GET":
            entity = self.store.entity(bp, ident)
            return 200, {
                "ok": True,
                "entity": project(entity, req.query.get("include"), req.query.get("exclude")),
            }
        if req.method == "DELETE":
            self.store.delete_entity(
                bp, ident, delete_dependents=req.flag("delete_dependents", required=True)
            )
            return 200, {"ok": True}
        self.store.entity(bp, ident)  # PUT and PATCH need an existing entity
        body = req.body
        if not isinstance(body, dict):
            raise invalid("body must be a JSON object")
        if req.method == "PATCH" and set(body) - _PATCH_KEYS:
            raise invalid(f"body has unknown keys {sorted(set(body) - _PATCH_KEYS)}")
        if body.get("identifier", ident) != ident:
            raise invalid("changing an identifier is not supported by the local Port emulator")
        entity, _ = self.store.write_entity(
            bp,
            {**body, "identifier": ident},
            upsert=True,
            merge=req.method == "PATCH",
            create_missing=req.flag("create_missing_related_entities"),
        )
        return 200, {"ok": True, "entity": entity}

    # ---- deletes and reads ------------------------------------------------------------

    def _bulk_delete(self, req: Request, bp: str) -> Answer:
        body = req.body
        ids = body.get("entities") if isinstance(body, dict) and set(body) == {"entities"} else None
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise invalid('body must be exactly {"entities": ["identifier", ...]}')
        if not 1 <= len(ids) <= MAX_BULK_DELETE:
            raise invalid(f"entities must hold 1 to {MAX_BULK_DELETE} identifiers")
        dependents = req.flag("delete_dependents", required=True)
        deleted = self.store.bulk_delete(bp, ids, delete_dependents=dependents)
        return 200, {"ok": True, "deletedEntities": deleted}

    def _delete_all(self, req: Request, bp: str) -> Answer:
        self.store.delete_all(bp)
        if req.flag("delete_blueprint"):
            self.store.delete_blueprint(bp)
        return 200, {"ok": True}

    def _search(self, req: Request, bp: str) -> Answer:
        self.store.blueprint(bp)
        records = self.store.entities.get(bp, {})
        return 200, search(bp, records, req.body if req.body is not None else {})

    def _list_entities(self, req: Request, bp: str) -> Answer:
        include, exclude = req.query.get("include"), req.query.get("exclude")
        return 200, {
            "ok": True,
            "entities": [project(e, include, exclude) for e in self.store.all_entities(bp)],
        }

    def _count(self, req: Request, bp: str) -> Answer:
        self.store.blueprint(bp)
        return 200, {"ok": True, "count": len(self.store.entities.get(bp, {}))}
