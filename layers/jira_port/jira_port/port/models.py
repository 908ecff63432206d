"""Result and statistics types of the Port client."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields
from typing import Literal

from jira_port.port.errors import EntityFailure, EntityOperation

BlueprintOutcome = Literal["created", "updated", "unchanged"]


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


@dataclass(frozen=True, slots=True)
class BlueprintChange:
    """The outcome of applying one blueprint definition."""

    identifier: str
    outcome: BlueprintOutcome


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
