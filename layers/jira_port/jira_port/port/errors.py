"""Errors raised by the Port client and the per-entity failure record.

Messages carry Port's machine code, its human message, the blueprint and the entity identifier:
never a token, a client secret or an Authorization header.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from jira_port.errors import JiraPortError

# Statuses worth trying again later (a later SQS delivery, the next backfill run).
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# Pseudo status for "no HTTP response at all" (connection refused, timeout).
NO_RESPONSE = 0

EntityOperation = Literal["upsert", "delete"]


def is_transient(status: int) -> bool:
    """True for throttling, server errors and missing responses; 4xx answers are permanent."""
    return status == NO_RESPONSE or status in TRANSIENT_STATUSES


class PortAPIError(JiraPortError):
    """Port answered a request with an error (after any retries)."""

    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        identifier: str | None = None,
        blueprint: str | None = None,
        *,
        trace_id: str | None = None,
    ) -> None:
        self.status = status
        self.error = error
        self.message = message
        self.identifier = identifier
        self.blueprint = blueprint
        self.trace_id = trace_id
        super().__init__(self._describe())

    @property
    def transient(self) -> bool:
        """Whether trying again later may succeed."""
        return is_transient(self.status)

    def _describe(self) -> str:
        where = ""
        if self.blueprint is not None:
            where = (
                f" [{self.blueprint}" + (f"/{self.identifier}" if self.identifier is not None else "") + "]"
            )
        status = "no response" if self.status == NO_RESPONSE else f"HTTP {self.status}"
        trace = f" (trace {self.trace_id})" if self.trace_id else ""
        return f"Port {status} {self.error}: {self.message}{where}{trace}"


class PortAuthError(PortAPIError):
    """Port rejected the credentials or every token it issued."""


@dataclass(frozen=True, slots=True)
class EntityFailure:
    """One entity that could not be written; ``transient`` failures may succeed on a later try."""

    blueprint: str
    identifier: str
    operation: EntityOperation
    status: int
    error: str
    message: str
    transient: bool

    @classmethod
    def from_error(
        cls, exc: PortAPIError, blueprint: str, identifier: str, operation: EntityOperation
    ) -> EntityFailure:
        """The per-entity record of an API error."""
        return cls(blueprint, identifier, operation, exc.status, exc.error, exc.message, exc.transient)

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe representation for logs and reports."""
        return {
            "blueprint": self.blueprint,
            "identifier": self.identifier,
            "operation": self.operation,
            "status": self.status,
            "error": self.error,
            "message": self.message,
            "transient": self.transient,
        }
