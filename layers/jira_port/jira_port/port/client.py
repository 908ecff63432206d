"""``PortClient``: entity and blueprint operations on Port's REST API.

Bulk writes are cut into requests of ≤ 20 entities and ≤ 1 MiB and sent concurrently (at most
``PORT_MAX_CONCURRENCY`` at a time) on one pooled session. Per-entity failures are returned in a
``BulkResult``; only single-entity calls raise ``PortAPIError``. Port's write rules live in
``jira_port.port.writes``, the authenticated call in ``jira_port.port.session``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Self

import requests

from jira_port.port import writes
from jira_port.port.credentials import CredentialSource, credential_source
from jira_port.port.session import PortSession
from jira_port.port.types import (
    BulkResult,
    EntityFailure,
    PortStats,
    entity_label,
    flag,
    identifier_problem,
    segment,
)
from jira_port.port.writes import MAX_DELETE_IDS, plan_batches
from jira_port.settings.port import PortSettings
from jira_port.transport import RetryPolicy, new_session


class PortClient:
    """Port API client; thread-safe, one pooled HTTP session and one worker pool per instance."""

    def __init__(
        self,
        settings: PortSettings,
        *,
        session: requests.Session | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        credentials: CredentialSource | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.stats = PortStats()
        self.policy = policy if policy is not None else RetryPolicy()
        self._http = session if session is not None else new_session(settings.max_concurrency + 2)
        self.api = PortSession(
            settings,
            credentials if credentials is not None else credential_source(settings),
            session=self._http,
            policy=self.policy,
            stats=self.stats,
            sleep=sleep,
            clock=clock,
        )
        self._executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()

    @classmethod
    def from_env(cls) -> PortClient:
        """A client configured by the ``PORT_*`` environment variables."""
        return cls(PortSettings.from_env())

    def __repr__(self) -> str:
        return f"PortClient(api_url={self.settings.api_url!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker pool and release pooled connections."""
        with self._executor_lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True)
                self._executor = None
        self._http.close()

    # ---- entities: writes -------------------------------------------------------------

    def _write_params(self, merge: bool) -> dict[str, str]:
        return {
            "upsert": "true",
            "merge": flag(merge),
            "create_missing_related_entities": flag(self.settings.create_missing_related_entities),
        }

    def upsert_entity(self, blueprint: str, entity: dict[str, Any], *, merge: bool = True) -> dict[str, Any]:
        """Create or update one entity; returns the stored entity. Raises ``PortAPIError``."""
        return writes.upsert_one(self.api, blueprint, entity, self._write_params(merge))

    def upsert_entities(
        self, blueprint: str, entities: Sequence[dict[str, Any]], *, merge: bool = True
    ) -> BulkResult:
        """Create or update many entities of one blueprint with bulk requests; never raises per entity.

        Entities Port would refuse before reading them (a bad identifier, more than 1 MiB alone)
        are reported as failures without being sent: one of them would fail a whole batch.
        """
        result = BulkResult(blueprint, "upsert")
        params = self._write_params(merge)
        refused: dict[int, tuple[int, str, str]] = {}
        for index, entity in enumerate(entities):
            problem = identifier_problem(entity)
            if problem is not None:
                refused[index] = (422, "invalid_identifier", problem)
        batches, oversized = plan_batches(entities, skip=frozenset(refused))
        for index in oversized:
            refused[index] = (413, "request_too_large", "the entity alone exceeds Port's 1 MiB request limit")
        for index, (status, code, message) in sorted(refused.items()):
            label = entity_label(entities[index])
            result.failures.append(EntityFailure(blueprint, label, "upsert", status, code, message, False))
        for part in self._map(
            lambda batch: writes.upsert_batch(self.api, blueprint, entities, batch, params), batches
        ):
            result.extend(part)
        return result

    def delete_entity(self, blueprint: str, identifier: str, *, delete_dependents: bool = False) -> bool:
        """Delete one entity; False when it was already gone. Raises ``PortAPIError``."""
        return writes.delete_one(self.api, blueprint, identifier, delete_dependents)

    def delete_entities(
        self, blueprint: str, identifiers: Iterable[str], *, delete_dependents: bool = False
    ) -> BulkResult:
        """Delete many entities with bulk requests (≤ 100 ids); a rejected batch is retried one by one."""
        unique = list(dict.fromkeys(identifiers))
        result = BulkResult(blueprint, "delete")
        work = list(chunks(unique, MAX_DELETE_IDS))
        for part in self._map(
            lambda ids: writes.delete_chunk(self.api, blueprint, ids, delete_dependents), work
        ):
            result.extend(part)
        return result

    # ---- entities: reads --------------------------------------------------------------

    def get_entity(self, blueprint: str, identifier: str) -> dict[str, Any] | None:
        """The stored entity, or None when it does not exist."""
        response = self.api.call(
            "GET",
            writes.entities_path(blueprint, f"/{segment(identifier)}"),
            blueprint=blueprint,
            identifier=identifier,
        )
        if response.status == 404:
            return None
        if not response.ok:
            raise response.error(blueprint, identifier)
        entity = response.body.get("entity") if isinstance(response.body, dict) else None
        return entity if isinstance(entity, dict) else None

    def iter_entity_identifiers(
        self, blueprint: str, *, page_size: int = 1000, created_by: Sequence[str] | None = None
    ) -> Iterator[str]:
        """Every entity identifier of ``blueprint`` (only those whose ``$createdBy`` is one of
        ``created_by`` when given), page by page (search API with a cursor)."""
        cursor: str | None = None
        while True:
            body: dict[str, Any] = {"include": ["$identifier"], "limit": page_size}
            if created_by is not None:
                rule = {"property": "$createdBy", "operator": "in", "value": list(created_by)}
                body["query"] = {"combinator": "and", "rules": [rule]}
            if cursor is not None:
                body["from"] = cursor
            response = self.api.call(
                "POST",
                writes.entities_path(blueprint, "/search"),
                body=body,
                blueprint=blueprint,
            )
            if not response.ok:
                raise response.error(blueprint)
            page = response.body if isinstance(response.body, dict) else {}
            for entity in page.get("entities") or []:
                if isinstance(entity, dict) and isinstance(entity.get("identifier"), str):
                    yield entity["identifier"]
            cursor = page.get("next") or None
            if cursor is None:
                return

    # ---- webhook data sources ---------------------------------------------------------

    def get_webhook(self, identifier: str) -> dict[str, Any]:
        """``GET /v1/webhooks/{identifier}``: the webhook data source (``integration``), with its
        ``mappings``. Needs the moderator or admin role; raises ``PortAPIError`` otherwise."""
        response = self.api.call("GET", f"/v1/webhooks/{segment(identifier)}", identifier=identifier)
        if not response.ok:
            raise response.error(None, identifier)
        found = response.body.get("integration") if isinstance(response.body, dict) else None
        return found if isinstance(found, dict) else {}

    # ---- blueprints -------------------------------------------------------------------

    def get_blueprint(self, identifier: str) -> dict[str, Any] | None:
        """The blueprint definition, or None when it does not exist."""
        response = self.api.call("GET", f"/v1/blueprints/{segment(identifier)}", blueprint=identifier)
        if response.status == 404:
            return None
        if not response.ok:
            raise response.error(identifier)
        found = response.body.get("blueprint") if isinstance(response.body, dict) else None
        return found if isinstance(found, dict) else None

    def create_blueprint(self, definition: dict[str, Any]) -> dict[str, Any]:
        """``POST /v1/blueprints``; returns Port's stored blueprint."""
        ident = str(definition.get("identifier"))
        response = self.api.call("POST", "/v1/blueprints", body=definition, blueprint=ident)
        if not response.ok:
            raise response.error(ident)
        return dict(response.body.get("blueprint") or {}) if isinstance(response.body, dict) else {}

    def update_blueprint(self, definition: dict[str, Any]) -> dict[str, Any]:
        """``PUT /v1/blueprints/{identifier}`` (full replace); returns Port's stored blueprint."""
        ident = str(definition.get("identifier"))
        response = self.api.call("PUT", f"/v1/blueprints/{segment(ident)}", body=definition, blueprint=ident)
        if not response.ok:
            raise response.error(ident)
        return dict(response.body.get("blueprint") or {}) if isinstance(response.body, dict) else {}

    # ---- concurrency ------------------------------------------------------------------

    def _map[T, R](self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """``fn`` over ``items`` on the worker pool, results in input order."""
        if len(items) <= 1 or self.settings.max_concurrency == 1:
            return [fn(item) for item in items]
        with self._executor_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.settings.max_concurrency, thread_name_prefix="port")
            executor = self._executor
        return list(executor.map(fn, items))


def chunks[T](items: Sequence[T], size: int) -> Iterator[list[T]]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
