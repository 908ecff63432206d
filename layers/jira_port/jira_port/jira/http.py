"""The HTTP layer of the Jira client: pooled session, retries, auth refresh and error decoding."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from typing import Any

from jira_port.jira.credentials import CredentialsProvider, JiraCredentials
from jira_port.jira.errors import (
    JiraAPIError,
    JiraAuthError,
    JiraNotFoundError,
    JiraPermissionError,
    JiraResponseError,
    JiraUnavailableError,
    parse_error_body,
)
from jira_port.observability import logger
from jira_port.transport import (
    HttpResponse,
    HttpSession,
    RetriesExhaustedError,
    RetryPolicy,
    retry_log_fields,
    send,
)

_AUTH_HINT = (
    "check {creds}: Jira Cloud needs email + API token (tokens expire after at most one year), "
    "Data Center a personal access token or username + password"
)


class JiraHTTP:
    """Sends Jira API calls through ``jira_port.transport.send``; thread-safe.

    A 401 with secret-backed credentials re-reads the secret once (rotation) and resends.
    """

    def __init__(
        self,
        base_url: str,
        credentials: CredentialsProvider,
        *,
        pool_size: int,
        timeout: float,
        retry_policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._credentials = credentials
        self._timeout = (min(10.0, timeout), timeout)
        self._policy = retry_policy or RetryPolicy()
        self._sleep = sleep
        self._session = HttpSession(pool_size)

    def close(self) -> None:
        """Release pooled connections."""
        self._session.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        retry_statuses: frozenset[int] | None = None,
    ) -> Any:
        """Send one API call with retries; return the decoded JSON (None for an empty body).

        ``retry_statuses`` narrows what is retried (e.g. ``{429}`` for a non-idempotent POST).
        Raises ``JiraAPIError`` subclasses for error answers and ``JiraUnavailableError`` when the
        retry budget is spent.
        """
        return self.request_raw(method, path, params=params, json=json, retry_statuses=retry_statuses)[0]

    def request_raw(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        retry_statuses: frozenset[int] | None = None,
    ) -> tuple[Any, bytes]:
        """Like ``request``, also returning the response body exactly as received (for jq)."""
        policy = self._policy
        if retry_statuses is not None:
            policy = dataclasses.replace(policy, statuses=retry_statuses)
        creds = self._credentials.current()
        response = self._send(method, path, params, json, creds=creds, policy=policy)
        if response.status_code == 401 and self._credentials.refreshable:
            latest = self._credentials.current()
            if latest is creds:  # nobody refreshed meanwhile: re-read the secret once
                latest = self._credentials.refresh()
            response = self._send(method, path, params, json, creds=latest, policy=policy)
        return self._decode(method, path, response, policy), response.content

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        body: Any,
        *,
        creds: JiraCredentials,
        policy: RetryPolicy,
    ) -> HttpResponse:
        url = self.base_url + path
        headers = {"Authorization": creds.authorization(), "Accept": "application/json"}

        def attempt() -> HttpResponse:
            return self._session.request(
                method, url, params=params, json=body, headers=headers, timeout=self._timeout
            )

        def on_retry(n: int, resp: HttpResponse | None, exc: BaseException | None, wait: float) -> None:
            logger.info(
                "Jira call failed; retrying",
                extra={
                    **retry_log_fields(n, resp, exc, wait, method=method, path=path),
                    "ratelimit_reason": resp.headers.get("RateLimit-Reason") if resp is not None else None,
                },
            )

        try:
            return send(attempt, policy, sleep=self._sleep, on_retry=on_retry)
        except RetriesExhaustedError as exc:
            raise JiraUnavailableError(f"Jira did not answer {method} {path}: {exc}") from None

    def _decode(self, method: str, path: str, response: HttpResponse, policy: RetryPolicy) -> Any:
        status = response.status_code
        if 200 <= status < 300:
            if status == 204 or not response.content:
                return None
            try:
                return response.json()
            except ValueError:
                raise JiraResponseError(f"{method} {path} answered {status} with a non-JSON body") from None
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        messages, errors = parse_error_body(body)
        if status in policy.statuses:
            raise JiraUnavailableError(
                f"Jira still answered {status} to {method} {path} after {policy.max_attempts} attempts"
                + (": " + "; ".join(messages) if messages else "")
            )
        creds = self._credentials.current()
        if status == 401:
            hint = _AUTH_HINT.format(creds=creds.describe())
            raise JiraAuthError(
                status, method, path, messages=messages or ["Unauthorized"], errors=errors, hint=hint
            )
        if status == 403 and "AUTHENTICATION_DENIED" in response.headers.get("X-Seraph-LoginReason", ""):
            hint = "too many failed logins: Jira requires a CAPTCHA; sign in once in a browser"
            raise JiraAuthError(status, method, path, messages=messages, errors=errors, hint=hint)
        if status == 403:
            raise JiraPermissionError(status, method, path, messages=messages, errors=errors)
        if 300 <= status < 400:  # redirects are not followed (an API call would lose its method or body)
            hint = (
                f"Jira redirected to {response.headers.get('Location', '?')}: set JIRA_BASE_URL to that site"
            )
            raise JiraAPIError(status, method, path, messages=messages, errors=errors, hint=hint)
        if status == 404:
            raise JiraNotFoundError(status, method, path, messages=messages, errors=errors)
        raise JiraAPIError(status, method, path, messages=messages, errors=errors)
