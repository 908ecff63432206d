"""Errors raised by the Jira client. Messages carry Jira's own ``errorMessages``, never credentials."""

from __future__ import annotations

from typing import Any

from jira_port.errors import ConfigError, JiraPortError


class JiraError(JiraPortError):
    """Base class of the Jira client's errors."""

    transient = False


class JiraAPIError(JiraError):
    """Jira answered with an HTTP error; ``error_messages``/``errors`` are Jira's ErrorCollection."""

    def __init__(
        self,
        status: int,
        method: str,
        path: str,
        *,
        messages: list[str] | None = None,
        errors: dict[str, str] | None = None,
        hint: str | None = None,
    ) -> None:
        self.status = status
        self.method = method
        self.path = path
        self.error_messages = list(messages or [])
        self.errors = dict(errors or {})
        self.hint = hint
        super().__init__(self._compose())

    def _compose(self) -> str:
        details = [*self.error_messages, *(f"{k}: {v}" for k, v in self.errors.items())]
        text = f"Jira answered {self.status} to {self.method} {self.path}"
        if details:
            text += ": " + "; ".join(details)
        if self.hint:
            text += f" ({self.hint})"
        return text

    @property
    def all_messages(self) -> list[str]:
        """``errorMessages`` followed by the per-field ``errors`` values."""
        return [*self.error_messages, *self.errors.values()]


class JiraAuthError(JiraAPIError, ConfigError):
    """The credentials were rejected (401, or a CAPTCHA lock-out). Fix the configuration; never retried."""


class JiraPermissionError(JiraAPIError):
    """The authenticated user lacks a permission (403)."""


class JiraNotFoundError(JiraAPIError):
    """The resource does not exist or the user cannot see it (404)."""


class JiraUnavailableError(JiraError):
    """Jira kept failing with throttling, 5xx or connection errors until the retry budget was spent."""

    transient = True


class JiraResponseError(JiraError):
    """Jira answered 2xx with a body that is not what the API documents (e.g. not JSON)."""


def parse_error_body(body: Any) -> tuple[list[str], dict[str, str]]:
    """Extract ``errorMessages`` and ``errors`` from a Jira error body (ErrorCollection), tolerantly."""
    if not isinstance(body, dict):
        return [], {}
    raw_messages = body.get("errorMessages")
    messages = [str(m) for m in raw_messages] if isinstance(raw_messages, list) else []
    raw_errors = body.get("errors")
    errors = {str(k): str(v) for k, v in raw_errors.items()} if isinstance(raw_errors, dict) else {}
    if not messages and not errors and isinstance(body.get("message"), str):
        messages = [body["message"]]
    return messages, errors
