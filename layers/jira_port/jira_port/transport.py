"""HTTP plumbing shared by the Port and Jira clients: pooled sessions and one retry policy.

``HttpSession`` sends on keep-alive connections through urllib3, which botocore already loads (``requests``
on top of it cost the sync function 18 ms of cold start and 0.5 ms of CPU per call). Like ``requests`` it
honours ``HTTP(S)_PROXY``/``NO_PROXY`` and ``REQUESTS_CA_BUNDLE``, and asks for gzip; unlike it, it does
not follow redirects: a 3xx comes back to the caller, who reports it (both APIs answer without them).

Both SaaS APIs signal throttling with 429 + ``Retry-After`` and rate-limit reset headers, and both
have transient 5xx and connection failures. ``send`` retries those with bounded exponential backoff
and full jitter, honouring the server's hints; everything else is returned to the caller. What counts as
transient is ``jira_port.errors``' rule, the same for every caller.
"""

from __future__ import annotations

import email.utils
import json
import os
import random
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import urllib3
from urllib3.exceptions import HTTPError, ProtocolError, ProxyError, SSLError, TimeoutError

from jira_port import __version__
from jira_port.errors import TRANSIENT_STATUSES, JiraPortError

USER_AGENT = f"jira-port/{__version__}"
# x-ratelimit-reset values above this are epoch seconds, below it seconds-until-reset (Port, Ocean).
_EPOCH_THRESHOLD = 10_000


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded retries: ``max_attempts`` tries in all, delays capped at ``max_delay`` seconds."""

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 20.0
    max_server_delay: float = 120.0
    statuses: frozenset[int] = TRANSIENT_STATUSES  # the one list of transient statuses (errors.py)

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential delay before retry number ``attempt`` (1-based)."""
        return random.uniform(0, min(self.max_delay, self.base_delay * (2 ** (attempt - 1))))

    def delay(self, attempt: int, headers: Mapping[str, str] | None, status: int | None = None) -> float:
        """Delay before retry ``attempt``: the server's hint when it gave one, else backoff.

        ``Retry-After`` counts for any status; a rate-limit reset header only for 429, because
        Port sends ``x-ratelimit-reset`` on every answer and a 503 must not wait for the window.
        """
        hint = server_delay(headers, throttled=status == 429) if headers is not None else None
        if hint is not None:
            # A little jitter spreads concurrent workers that got the same hint.
            return min(self.max_server_delay, hint) + random.uniform(0, min(1.0, self.base_delay))
        return self.backoff(attempt)


def server_delay(
    headers: Mapping[str, str], now: float | None = None, *, throttled: bool = True
) -> float | None:
    """Seconds to wait according to ``Retry-After`` or (when ``throttled``) a rate-limit reset header.

    ``Retry-After``: seconds or an HTTP date. ``X-RateLimit-Reset``: seconds until reset, epoch
    seconds (values > 10,000) or an ISO-8601 timestamp (Jira Cloud).
    """
    current = time.time() if now is None else now
    lowered = {k.lower(): v for k, v in headers.items()}
    names = ("retry-after", "x-ratelimit-reset") if throttled else ("retry-after",)
    for name in names:
        raw = lowered.get(name)
        if raw is None or raw.strip() == "":
            continue
        seconds = _parse_delay(raw.strip(), current)
        if seconds is not None:
            return max(0.0, seconds)
    return None


def _parse_delay(raw: str, now: float) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        pass
    else:
        return value - now if value > _EPOCH_THRESHOLD else value
    try:
        parsed = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        parsed = None
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            return None
    if parsed.tzinfo is None:
        return None
    return parsed.timestamp() - now


#: What a request raises when no answer arrived (no connection, timed out, cut short, TLS, proxy): ``send``
#: retries these. ``HttpError`` is every failure of the HTTP library (also e.g. a bad gzip body).
CONNECTION_ERRORS = (TimeoutError, ProtocolError, SSLError, ProxyError)
HttpError = HTTPError
_DEFAULT_HEADERS = {"User-Agent": USER_AGENT, **urllib3.util.make_headers(accept_encoding=True)}


class HttpResponse:
    """An answer, read whole (its connection is back in the pool): ``status_code``, ``headers``
    (case-insensitive) and ``content`` (decoded)."""

    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status_code: int, headers: Mapping[str, str], content: bytes) -> None:
        self.status_code, self.headers, self.content = status_code, headers, content

    def json(self) -> Any:
        """The body parsed as JSON (``ValueError`` when it is not)."""
        return json.loads(self.content)


class HttpSession:
    """Keep-alive connections for up to ``pool_size`` concurrent requests per host; thread-safe."""

    def __init__(self, pool_size: int = 10) -> None:
        self._pool_size = pool_size
        self._ca_certs = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None
        self._managers: dict[tuple[str, str], urllib3.PoolManager] = {}

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: bytes | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | tuple[float, float] | None = None,
    ) -> HttpResponse:
        """Send one request and read its answer (raises ``HttpError`` when none arrived)."""
        sent = {**_DEFAULT_HEADERS, **(headers or {})}
        if json is not None:  # (the parameter hides the module here, as in ``requests``)
            data = _json_bytes(json)
            sent.setdefault("Content-Type", "application/json")
        query = urlencode([(k, v) for k, v in (params or {}).items() if v is not None], doseq=True)
        connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        limit = urllib3.Timeout(connect=connect, read=read)  # each phase, as ``requests`` reads a timeout
        answer = self._manager(url).request(
            method, f"{url}?{query}" if query else url, body=data, headers=sent, timeout=limit,
            retries=False, redirect=False,
        )  # fmt: skip
        return HttpResponse(answer.status, answer.headers, answer.data)

    def close(self) -> None:
        """Close the pooled connections (the session stays usable)."""
        for manager in list(self._managers.values()):
            manager.clear()

    def _manager(self, url: str) -> urllib3.PoolManager:
        split = urlsplit(url)
        key = (split.scheme, split.hostname or "")
        manager = self._managers.get(key)
        if manager is None:
            proxy = None if urllib.request.proxy_bypass(key[1]) else urllib.request.getproxies().get(key[0])
            options: dict[str, Any] = {"maxsize": self._pool_size, "ca_certs": self._ca_certs}
            manager = urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)
            manager = self._managers.setdefault(key, manager)
        return manager


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, allow_nan=False).encode("utf-8")


class RetriesExhaustedError(JiraPortError):
    """Every attempt failed with a connection error or timeout (no HTTP response at all)."""

    transient = True


@dataclass(slots=True)
class Attempts:
    """What ``send`` did: how many tries and how many of them were retries of what kind."""

    tries: int = 0
    throttled: int = 0
    server_errors: int = 0
    connection_errors: int = 0


def retry_log_fields(
    attempt: int,
    resp: HttpResponse | None,
    exc: BaseException | None,
    wait: float,
    *,
    method: str,
    path: str,
) -> dict[str, Any]:
    """The log fields of an ``on_retry`` call (its four arguments) for a request to ``method path``."""
    return {
        "method": method,
        "path": path,
        "attempt": attempt,
        "status": resp.status_code if resp is not None else None,
        "error": type(exc).__name__ if exc is not None else None,
        "wait_seconds": round(wait, 3),
    }


def send(
    do_request: Callable[[], HttpResponse],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[int, HttpResponse | None, BaseException | None, float], None] | None = None,
    attempts: Attempts | None = None,
) -> HttpResponse:
    """Call ``do_request`` until it returns a non-retryable response or the policy is spent.

    Returns the last response (which may still be a retryable status once attempts run out).
    Raises ``RetriesExhaustedError`` when every attempt failed without a response.
    """
    stats = attempts if attempts is not None else Attempts()
    last_exc: BaseException | None = None
    for attempt in range(1, policy.max_attempts + 1):
        stats.tries += 1
        response: HttpResponse | None = None
        try:
            response = do_request()
        except CONNECTION_ERRORS as exc:
            last_exc = exc
            stats.connection_errors += 1
        else:
            if response.status_code not in policy.statuses:
                return response
            if response.status_code == 429:
                stats.throttled += 1
            else:
                stats.server_errors += 1
            if attempt == policy.max_attempts:
                return response
        if attempt == policy.max_attempts:
            break
        wait = policy.delay(
            attempt,
            response.headers if response is not None else None,
            response.status_code if response is not None else None,
        )
        if on_retry is not None:
            on_retry(attempt, response, last_exc if response is None else None, wait)
        sleep(wait)
    raise RetriesExhaustedError(
        f"no response after {policy.max_attempts} attempts: {type(last_exc).__name__}"
    ) from last_exc
