"""One authenticated, retried HTTP call to Port: the access-token cache, retries, stats, error decoding.

Retries go through ``jira_port.transport.send``; a 401 refreshes the token and tries again (a second
401 re-reads a rotatable secret first). Nothing secret is ever logged or put into an exception.

Port hands out one active token per set of credentials: asking again returns the *same* token with a
smaller ``expiresIn``. So ``TokenManager`` computes the expiry from ``expiresIn`` on every answer, and
refreshes a token only when it is about to expire or Port rejected it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from jira_port.errors import NO_RESPONSE
from jira_port.observability import logger
from jira_port.port.credentials import Credentials, CredentialSource
from jira_port.port.types import PortAPIError, PortAuthError, PortStats, encode_json
from jira_port.settings.port import PortSettings
from jira_port.transport import RetriesExhaustedError, RetryPolicy, send

ACCESS_TOKEN_ROUTE = "/v1/auth/access_token"  # noqa: S105 - a route, not a password
# A 401 is answered by a token refresh, then by a secret re-read: three sends at most.
_AUTH_ROUNDS = 3
# Refresh this long before expiry, at most (tokens live 3 h; short test lifetimes use 10 %).
MAX_EXPIRY_SKEW_SECONDS = 60.0

Params = Mapping[str, str | list[str]]


@dataclass(frozen=True, slots=True)
class PortResponse:
    """A decoded Port answer: status, JSON body (None if not JSON), headers and retries spent."""

    status: int
    body: Any
    headers: Mapping[str, str]
    retried: int

    @property
    def ok(self) -> bool:
        """True for 2xx."""
        return 200 <= self.status < 300

    def error(self, blueprint: str | None = None, identifier: str | None = None) -> PortAPIError:
        """The ``PortAPIError`` describing this (non-2xx) answer, from Port's error envelope."""
        code, message = f"http_{self.status}", "Port returned an error without a JSON body"
        if isinstance(self.body, dict):
            code = str(self.body.get("error") or code)
            message = str(self.body.get("message") or self.body.get("error") or message)
        trace = self.headers.get("x-trace-id")
        cls = PortAuthError if self.status == 401 else PortAPIError
        return cls(self.status, code, message, identifier, blueprint, trace_id=trace)


class PortSession:
    """Sends requests to Port with a cached token, bounded retries and counters."""

    def __init__(
        self,
        settings: PortSettings,
        credentials: CredentialSource,
        *,
        session: requests.Session,
        policy: RetryPolicy,
        stats: PortStats,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # Read once: a request runs no settings code.
        self._api_url = settings.api_url
        self._timeout = settings.timeout_seconds
        self._http = session
        self.policy = policy
        self.stats = stats
        self.sleep = sleep
        self.tokens = TokenManager(credentials, self._fetch_token, stats=stats, clock=clock)

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
        """Send an authenticated request; return the final answer (any status).

        Raises ``PortAPIError`` only when no answer arrived at all, or when no token can be had.
        """
        data = body if isinstance(body, bytes) or body is None else encode_json(body)
        ident = identifier
        token = self.tokens.token()
        retried = 0
        for auth_round in range(_AUTH_ROUNDS):
            response, spent = self._send(
                method, path, params=params, data=data, token=token, blueprint=blueprint, identifier=ident
            )
            retried += spent
            if response.status != 401 or auth_round == _AUTH_ROUNDS - 1:
                return PortResponse(response.status, response.body, response.headers, retried)
            retried += 1
            logger.info("Port rejected the access token; refreshing", extra={"method": method, "path": path})
            token = self.tokens.refresh(token, reload_credentials=auth_round == 1)
        raise AssertionError("unreachable")  # pragma: no cover

    def _fetch_token(self, credentials: Credentials) -> tuple[str, float]:
        body = encode_json(
            {"clientId": credentials.client_id, "clientSecret": credentials.client_secret.get_secret_value()}
        )
        self.stats.add(token_requests=1)
        response, _ = self._send(
            "POST", ACCESS_TOKEN_ROUTE, params=None, data=body, token=None, blueprint=None, identifier=None
        )
        if not response.ok:
            raise response.error()
        payload = response.body if isinstance(response.body, dict) else {}
        token, expires_in = payload.get("accessToken"), payload.get("expiresIn")
        if not isinstance(token, str) or not token or not isinstance(expires_in, int | float):
            raise PortAuthError(
                response.status, "invalid_token_response", "Port's token answer lacks a token"
            )
        return token, float(expires_in)

    def _send(
        self,
        method: str,
        path: str,
        *,
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

        def do_request() -> requests.Response:
            self.stats.add(requests=1)
            return self._http.request(
                method, url, params=params, data=data, headers=headers, timeout=self._timeout
            )

        def on_retry(
            attempt: int, resp: requests.Response | None, exc: BaseException | None, wait: float
        ) -> None:
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
                extra={
                    "method": method,
                    "path": path,
                    "attempt": attempt,
                    "status": resp.status_code if resp is not None else None,
                    "error": type(exc).__name__ if exc is not None else None,
                    "wait_seconds": round(wait, 3),
                },
            )

        try:
            response = send(do_request, self.policy, sleep=self.sleep, on_retry=on_retry)
        except RetriesExhaustedError as exc:
            raise PortAPIError(NO_RESPONSE, "no_response", str(exc), identifier, blueprint) from None
        return PortResponse(
            response.status_code, _json(response), dict(response.headers.lower_items()), 0
        ), retries


def _json(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


class _Token:
    __slots__ = ("expires_at", "value")

    def __init__(self, value: str, expires_at: float) -> None:
        self.value = value
        self.expires_at = expires_at

    def __repr__(self) -> str:
        return "<Port token (redacted)>"


# fetch(credentials) -> (accessToken, expiresIn seconds); raises PortAuthError on 401.
TokenFetcher = Callable[[Credentials], tuple[str, float]]


class TokenManager:
    """Thread-safe cache of the one Port access token of this process."""

    def __init__(
        self,
        source: CredentialSource,
        fetch: TokenFetcher,
        *,
        stats: PortStats | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._fetch = fetch
        self._stats = stats if stats is not None else PortStats()
        self._clock = clock
        self._lock = threading.Lock()
        self._token: _Token | None = None

    def __repr__(self) -> str:
        return f"TokenManager(source={type(self._source).__name__})"

    def token(self) -> str:
        """A token that is not about to expire, fetching one when needed."""
        with self._lock:
            current = self._token
            if current is not None and self._clock() < current.expires_at:
                return current.value
            return self._obtain(reload=False)

    def refresh(self, rejected: str, *, reload_credentials: bool = False) -> str:
        """A token other than ``rejected`` (Port answered 401 to it).

        When another thread already replaced ``rejected``, that token is returned without a new
        request. ``reload_credentials`` re-reads a rotatable secret first.
        """
        with self._lock:
            current = self._token
            if current is not None and current.value != rejected and self._clock() < current.expires_at:
                return current.value
            self._token = None
            self._stats.add(token_refreshes=1)
            return self._obtain(reload=reload_credentials)

    def _obtain(self, *, reload: bool) -> str:
        if reload and self._source.reloadable:
            self._stats.add(secret_reloads=1)
        credentials = self._source.get(reload=reload)
        started = self._clock()
        try:
            value, expires_in = self._fetch(credentials)
        except PortAuthError:
            if reload or not self._source.reloadable:
                raise
            # The secret may have been rotated since it was cached: read it again, once.
            self._stats.add(secret_reloads=1)
            credentials = self._source.get(reload=True)
            started = self._clock()
            value, expires_in = self._fetch(credentials)
        skew = min(MAX_EXPIRY_SKEW_SECONDS, max(0.0, expires_in) * 0.1)
        self._token = _Token(value, started + expires_in - skew)
        return value
