"""What the Port client sends, raises and returns: ``Action`` (one write, the mapping's output and the apply
step's input), identifiers and encodings, API errors, answers, per-entity failures, bulk results, counters.

Messages carry Port's machine code, its human message, the blueprint and the entity identifier:
never a token, a client secret or an Authorization header.
"""

from __future__ import annotations

import json
import threading
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from jira_port.errors import NO_RESPONSE, JiraPortError, is_transient_status

if TYPE_CHECKING:
    from jira_port.transport import HttpResponse

EntityOperation = Literal["upsert", "delete"]
Params = Mapping[str, str | list[str]]
MAX_IDENTIFIER_LENGTH = 1000
_IDENTIFIER_CHARS = frozenset("0123456789@_.+:\\/=-")


@dataclass(frozen=True, slots=True)
class Action:
    """One write to Port: upsert an entity, or delete it by identifier.

    ``entity`` holds ``identifier`` and, for upserts, ``title``, ``properties``, ``relations`` and
    optionally ``icon`` and ``team`` exactly as the mapping produced them. ``rule`` is the index of
    the mapping rule that produced the action (for logs and error reports).
    """

    operation: EntityOperation
    blueprint: str
    entity: dict[str, Any]
    delete_dependents: bool | None = None
    rule: int = field(default=0, compare=False)

    @property
    def identifier(self) -> str:
        """The entity identifier (always a non-empty string; the mapping drops the rest)."""
        return str(self.entity["identifier"])

    def to_json(self) -> dict[str, Any]:
        """The CLI / dry-run representation: ``{operation, blueprint, entity, deleteDependents?}``."""
        out: dict[str, Any] = {
            "operation": self.operation,
            "blueprint": self.blueprint,
            "entity": self.entity,
        }
        if self.operation == "delete" and self.delete_dependents is not None:
            out["deleteDependents"] = self.delete_dependents
        return out


def encode_json(value: Any) -> bytes:
    """The exact bytes sent for ``value`` (compact UTF-8 JSON), so sizes are measured, not guessed."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def segment(value: str) -> str:
    """``value`` encoded as one URL path segment (identifiers may hold ``/``, ``\\``, ``+``...)."""
    return quote(value, safe="")


def flag(value: bool) -> str:
    """A boolean query parameter as Port expects it."""
    return "true" if value else "false"


def identifier_problem(entity: dict[str, Any]) -> str | None:
    """Why Port would refuse ``entity``'s identifier, or None.

    Port's pattern is ``^(?!\\.{1,2}$)[\\p{L}0-9@_.+:\\\\/=-]+$`` with at most 1000 characters; in a
    bulk request one bad identifier fails the whole batch, so bad ones are never sent. Search-query
    identifiers (objects) are left to Port.
    """
    ident = entity.get("identifier")
    if isinstance(ident, dict):
        return None
    if not isinstance(ident, str) or not ident:
        return "the entity has no string identifier"
    if len(ident) > MAX_IDENTIFIER_LENGTH:
        return f"the identifier is longer than {MAX_IDENTIFIER_LENGTH} characters"
    if ident in {".", ".."} or not all(
        c in _IDENTIFIER_CHARS or unicodedata.category(c).startswith("L") for c in ident
    ):
        return "the identifier may only hold letters, digits and @ _ . + : \\ / = - (and is not . or ..)"
    return None


def entity_label(entity: dict[str, Any]) -> str:
    """The identifier to report for ``entity`` (a search-query identifier is shown as JSON)."""
    ident = entity.get("identifier")
    return ident if isinstance(ident, str) else encode_json(ident).decode()


class PortAPIError(JiraPortError):
    """Port answered a request with an error (after any retries), or did not answer at all."""

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
    def transient(self) -> bool:  # type: ignore[override]
        """Whether trying again later may succeed."""
        return is_transient_status(self.status)

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


@dataclass(slots=True)
class BulkResult:
    """What a bulk upsert or delete achieved, entity by entity.

    ``succeeded`` lists the identifiers written (upsert) or deleted (delete) in request order;
    ``absent`` the identifiers a delete found already gone; ``failures`` the rest.
    ``retried`` counts the HTTP retries this call needed.
    """

    blueprint: str
    operation: EntityOperation
    succeeded: list[str] = field(default_factory=list)
    created: int = 0
    absent: list[str] = field(default_factory=list)
    failures: list[EntityFailure] = field(default_factory=list)
    retried: int = 0

    @property
    def ok(self) -> bool:
        """True when no entity failed."""
        return not self.failures

    def extend(self, other: BulkResult) -> None:
        """Add ``other``'s outcome (same blueprint and operation) to this result."""
        self.succeeded.extend(other.succeeded)
        self.created += other.created
        self.absent.extend(other.absent)
        self.failures.extend(other.failures)
        self.retried += other.retried


@dataclass(slots=True)
class PortStats:
    """Counters of what the client did, safe to update from many threads."""

    requests: int = 0
    token_requests: int = 0
    token_refreshes: int = 0
    secret_reloads: int = 0
    retries_throttled: int = 0
    retries_server_error: int = 0
    retries_connection: int = 0
    batch_splits: int = 0
    single_fallbacks: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: int) -> None:
        """Increase the named counters."""
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    @property
    def retries(self) -> int:
        """Retries of every kind."""
        return self.retries_throttled + self.retries_server_error + self.retries_connection

    def snapshot(self) -> dict[str, int]:
        """A consistent copy of every counter (for reports and metrics)."""
        with self._lock:
            return {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}


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

    @classmethod
    def of(cls, response: HttpResponse) -> PortResponse:
        """The decoded form of an HTTP answer (no retries counted)."""
        return cls(
            response.status_code, _json(response), {k.lower(): v for k, v in response.headers.items()}, 0
        )

    def error(self, blueprint: str | None = None, identifier: str | None = None) -> PortAPIError:
        """The ``PortAPIError`` describing this (non-2xx) answer, from Port's error envelope."""
        code, message = f"http_{self.status}", "Port returned an error without a JSON body"
        if 300 <= self.status < 400:  # not followed (transport): a bulk POST would lose its body
            message = f"Port redirected to {self.headers.get('location', '?')}: set PORT_API_URL to it"
        elif isinstance(self.body, dict):
            code = str(self.body.get("error") or code)
            message = str(self.body.get("message") or self.body.get("error") or message)
        trace = self.headers.get("x-trace-id")
        cls = PortAuthError if self.status == 401 else PortAPIError
        return cls(self.status, code, message, identifier, blueprint, trace_id=trace)


def _json(response: HttpResponse) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None
