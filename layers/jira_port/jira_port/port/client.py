"""``PortClient``: Port's REST API on one pooled session, one token cache and one retry policy.

``PortSession`` sends one authenticated call, retried by ``jira_port.transport.send``, and caches the
process's one access token (a warm call only checks its expiry; ``credentials.obtain_token`` gets a new one).
A 401 refreshes the token, a second one re-reads a rotatable secret. Nothing secret is logged or raised.
``PortClient`` cuts bulk writes into requests Port accepts (≤ 20 entities, ≤ 1 MiB) and sends them
concurrently (``PORT_MAX_CONCURRENCY``); per-entity failures come back in a ``BulkResult``. Port's write
rules are in ``jira_port.port.writes``, which sends on the ``PortSession``, never back through the client.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Self

from jira_port.errors import NO_RESPONSE
from jira_port.observability import logger
from jira_port.port import writes
from jira_port.port.credentials import CredentialSource, credential_source, obtain_token
from jira_port.port.types import (
    BulkResult,
    EntityFailure,
    Params,
    PortAPIError,
    PortResponse,
    PortStats,
    encode_json,
    entity_label,
    flag,
    identifier_problem,
)
from jira_port.port.writes import MAX_DELETE_IDS, plan_batches
from jira_port.settings.port import PortSettings
from jira_port.transport import (
    HttpResponse,
    HttpSession,
    RetriesExhaustedError,
    RetryPolicy,
    retry_log_fields,
    send,
)

# A 401 is answered by a token refresh, then by a secret re-read: three sends at most.
_AUTH_ROUNDS = 3


@dataclass(frozen=True, slots=True)
class _Token:
    value: str = field(repr=False)
    expires_at: float  # on the session's clock, the renewal margin already taken off


class PortSession:
    """Sends requests to Port with a cached token, bounded retries and counters."""

    def __init__(
        self,
        settings: PortSettings,
        credentials: CredentialSource,
        session: HttpSession,
        policy: RetryPolicy,
        stats: PortStats,
        *,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
    ) -> None:
        self._api_url, self._timeout = settings.api_url, settings.timeout_seconds  # no settings code per call
        self._http, self.policy, self.stats, self.sleep = session, policy, stats, sleep
        self._credentials, self._clock = credentials, clock
        self._token_lock = threading.Lock()
        self._token: _Token | None = None

    def __repr__(self) -> str:
        return f"PortSession(api_url={self._api_url!r})"

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: Any = None,
        blueprint: str | None = None,
        identifier: str | None = None,
    ) -> PortResponse:
        """Send an authenticated request; return the final answer (any status). Raises ``PortAPIError``
        only when no answer arrived at all, or when no token can be had."""
        data = body if isinstance(body, bytes) or body is None else encode_json(body)
        token = self.token()
        retried = 0
        for auth_round in range(_AUTH_ROUNDS):
            response, spent = self._send(method, path, params, data, token, blueprint, identifier)
            retried += spent
            if response.status != 401 or auth_round == _AUTH_ROUNDS - 1:
                return PortResponse(response.status, response.body, response.headers, retried)
            retried += 1
            logger.info("Port rejected the access token; refreshing", extra={"method": method, "path": path})
            token = self.token(token, reload_credentials=auth_round == 1)
        raise AssertionError("unreachable")  # pragma: no cover

    def token(self, rejected: str | None = None, *, reload_credentials: bool = False) -> str:
        """The cached token while it is not about to expire, else a new one (one request for all threads).

        ``rejected``: Port answered 401 to it. Another thread's replacement is returned without a request;
        otherwise a new token is fetched, after re-reading a rotatable secret if ``reload_credentials``.
        """
        with self._token_lock:
            current = self._token
            if current is not None and current.value != rejected and self._clock() < current.expires_at:
                return current.value
            if rejected is not None:
                self._token = None
                self.stats.add(token_refreshes=1)
            value, expires_at = obtain_token(
                self._credentials, self._post_token, self.stats, self._clock, reload=reload_credentials
            )
            self._token = _Token(value, expires_at)
            return value

    def _post_token(self, route: str, body: bytes) -> PortResponse:
        return self._send("POST", route, None, body, None, None, None)[0]

    def _send(  # noqa: PLR0917 - private; the two callers pass everything
        self,
        method: str,
        path: str,
        params: Params | None,
        data: bytes | None,
        token: str | None,
        blueprint: str | None,
        identifier: str | None,
    ) -> tuple[PortResponse, int]:
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        url = f"{self._api_url}{path}"
        retries = 0

        def do_request() -> HttpResponse:
            self.stats.add(requests=1)
            return self._http.request(
                method, url, params=params, data=data, headers=headers, timeout=self._timeout
            )

        def on_retry(attempt: int, resp: HttpResponse | None, exc: BaseException | None, wait: float) -> None:
            nonlocal retries
            retries += 1
            if resp is None:
                self.stats.add(retries_connection=1)
            elif resp.status_code == 429:
                self.stats.add(retries_throttled=1)
            else:
                self.stats.add(retries_server_error=1)
            # A single retry is routine under throttling; repeated ones deserve attention.
            log = logger.warning if attempt > 1 else logger.info
            log(
                "Port request will be retried",
                extra=retry_log_fields(attempt, resp, exc, wait, method=method, path=path),
            )

        try:
            response = send(do_request, self.policy, sleep=self.sleep, on_retry=on_retry)
        except RetriesExhaustedError as exc:
            raise PortAPIError(NO_RESPONSE, "no_response", str(exc), identifier, blueprint) from None
        return PortResponse.of(response), retries


class PortClient:
    """Port API client; thread-safe, one pooled HTTP session and one worker pool per instance."""

    def __init__(
        self,
        settings: PortSettings,
        *,
        session: HttpSession | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        credentials: CredentialSource | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.stats = PortStats()
        self.policy = policy if policy is not None else RetryPolicy()
        self._http = session if session is not None else HttpSession(settings.max_concurrency + 2)
        source = credentials if credentials is not None else credential_source(settings)
        self.api = PortSession(
            settings, source, self._http, self.policy, self.stats, sleep=sleep, clock=clock
        )
        create = flag(settings.create_missing_related_entities)  # upsert query parameters by ``merge``:
        self.upsert_params = {
            m: {"upsert": "true", "merge": flag(m), "create_missing_related_entities": create}
            for m in (True, False)
        }
        self._executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()

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

    def upsert_entities(
        self, blueprint: str, entities: Sequence[dict[str, Any]], *, merge: bool = True
    ) -> BulkResult:
        """Create or update many entities of one blueprint with bulk requests; never raises per entity.
        Entities Port would refuse unread (a bad identifier, over 1 MiB alone) are failed unsent: one of
        them would fail a whole batch."""
        result, params = BulkResult(blueprint, "upsert"), self.upsert_params[merge]
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
        return self._gather(
            result, lambda b: writes.upsert_batch(self.api, blueprint, entities, b, params), batches
        )

    def delete_entities(
        self, blueprint: str, identifiers: Iterable[str], *, delete_dependents: bool = False
    ) -> BulkResult:
        """Delete many entities with bulk requests (≤ 100 ids); a rejected batch is retried one by one."""
        unique = list(dict.fromkeys(identifiers))
        work = [unique[start : start + MAX_DELETE_IDS] for start in range(0, len(unique), MAX_DELETE_IDS)]
        return self._gather(
            BulkResult(blueprint, "delete"),
            lambda ids: writes.delete_chunk(self.api, blueprint, ids, delete_dependents),
            work,
        )

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
            path = writes.entities_path(blueprint, "/search")
            response = self.api.call("POST", path, body=body, blueprint=blueprint)
            if not response.ok:
                raise response.error(blueprint)
            page = response.body if isinstance(response.body, dict) else {}
            for entity in page.get("entities") or []:
                if isinstance(entity, dict) and isinstance(entity.get("identifier"), str):
                    yield entity["identifier"]
            cursor = page.get("next") or None
            if cursor is None:
                return

    def _gather[T](self, result: BulkResult, fn: Callable[[T], BulkResult], items: Sequence[T]) -> BulkResult:
        """``fn`` over ``items`` on the worker pool, each outcome added to ``result`` in input order."""
        if len(items) <= 1 or self.settings.max_concurrency == 1:
            parts = [fn(item) for item in items]
        else:
            with self._executor_lock:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(
                        self.settings.max_concurrency, thread_name_prefix="port"
                    )
                executor = self._executor
            parts = list(executor.map(fn, items))
        for part in parts:
            result.extend(part)
        return result
