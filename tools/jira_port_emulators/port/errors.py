"""The emulator's error type: an HTTP status plus Port's envelope ``{"ok": false, error, message}``.

Port documents few machine codes (``not_found``, ``unauthorized``, ``forbidden_format_change``); the
others used here (``invalid_request``, ``invalid_entity``, ``conflict``, ``has_dependents``,
``request_too_large``, ``rate_limited``, ``internal_error``, ``service_unavailable``) are the
emulator's own names. Clients must not depend on them.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A request Port would refuse."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(f"{status} {error}: {message}")
        self.status = status
        self.error = error
        self.message = message

    def body(self) -> dict[str, Any]:
        """Port's error envelope."""
        return {"ok": False, "error": self.error, "message": self.message}


def not_found(message: str) -> ApiError:
    """404 ``not_found``."""
    return ApiError(404, "not_found", message)


def invalid(message: str) -> ApiError:
    """422: the request does not match the route's schema."""
    return ApiError(422, "invalid_request", message)


def invalid_entity(message: str) -> ApiError:
    """422: the entity does not match its blueprint."""
    return ApiError(422, "invalid_entity", message)
