"""What a backfill invocation holds: the run lock, one lease in the state table (one run of any mode at a
time), and its ``Deadline``."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from jira_port.errors import JiraPortError

if TYPE_CHECKING:
    from jira_port.state import ItemTable

LOCK_PK = "backfill#lock"
LOCK_SK = "lock"
HANDOFF_PREFIX = "handoff:"


class Deadline:
    """Whether the invocation must stop taking new work (``remaining_ms`` below the safety margin)."""

    def __init__(self, remaining_ms: Callable[[], int] | None, margin_seconds: float) -> None:
        self._remaining_ms = remaining_ms
        self.margin_ms = int(margin_seconds * 1000)

    def expired(self) -> bool:
        """True once less than the margin is left (never without a time limit)."""
        return self._remaining_ms is not None and self._remaining_ms() < self.margin_ms


class LockLostError(JiraPortError):
    """Another invocation took the run lock (ours had expired); stop at once."""


class RunLock:
    """A lease on the single backfill lock (one run of any mode at a time).

    ``acquire`` succeeds when the lock is free, expired, or was handed to this run by its previous
    invocation (``handoff``). While held, ``renew`` extends it at most every ``lease/3`` seconds.
    A crashed holder's lease simply expires.
    """

    def __init__(
        self, table: ItemTable, owner: str, *, lease_seconds: int, clock: Callable[[], float] = time.time
    ) -> None:
        self.table = table
        self.owner = owner
        self.lease_seconds = lease_seconds
        self._clock = clock
        self._renewed_at = 0.0
        self._held = False
        self._guard = threading.Lock()

    def acquire(self, run_id: str | None = None) -> bool:
        """Take the lock; ``run_id`` also accepts a lock handed over to that run."""
        now = self._clock()
        takeover = f"{HANDOFF_PREFIX}{run_id}" if run_id else None
        ok = self.table.claim(
            LOCK_PK, LOCK_SK, self.owner, int(now) + self.lease_seconds, now=int(now), takeover=takeover
        )
        if ok:
            self._held = True
            self._renewed_at = now
        return ok

    def renew(self) -> None:
        """Extend the lease if a third of it has passed; raises ``LockLostError`` if it was taken."""
        with self._guard:
            now = self._clock()
            if not self._held or now - self._renewed_at < self.lease_seconds / 3:
                return
            if not self.table.claim(
                LOCK_PK, LOCK_SK, self.owner, int(now) + self.lease_seconds, now=int(now), takeover=None
            ):
                self._held = False
                raise LockLostError("the backfill lock was taken by another invocation")
            self._renewed_at = now

    def handoff(self, run_id: str, seconds: int) -> bool:
        """Pass the lock to the next invocation of ``run_id`` for ``seconds`` (then it expires)."""
        now = self._clock()
        ok = self.table.claim(
            LOCK_PK,
            LOCK_SK,
            f"{HANDOFF_PREFIX}{run_id}",
            int(now) + seconds,
            now=int(now),
            takeover=self.owner,
        )
        self._held = False
        return ok

    def release(self) -> None:
        """Give the lock up (no-op when it is not held)."""
        if self._held:
            self.table.release(LOCK_PK, LOCK_SK, self.owner)
            self._held = False
