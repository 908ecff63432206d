"""Backfill state on an ``ItemTable``: runs, partitions, seen identifiers, watermarks, the run lock.

Item layout (``pk`` / ``sk``):

- ``backfill#<mode>`` / ``run``: the current (or last) run of that mode.
- ``backfill#<mode>`` / ``last-success``: start of the last successful run (incremental watermark).
- ``backfill#<mode>`` / ``partition#<runId>#<key>``: one partition (status, cursor, tally). Each is an
  independent item, so partitions could be spread over concurrent workers later.
- ``backfill#<mode>`` / ``seen#<runId>#<key>#<page>``: the identifiers the mapping produced for one
  page, per blueprint, zlib-compressed (a few hundred bytes per page). Written before the page's
  cursor is saved and keyed by page index, so a re-read page overwrites its own chunk.
- ``backfill#lock`` / ``lock``: the lease that keeps two invocations from working at the same time.

Partition and seen items expire (TTL) after ``ttl_days``; run and watermark items are kept.
"""

from __future__ import annotations

import base64
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping

from jira_port.backfill.records import MODES, Mode, PartitionState, RunState
from jira_port.backfill.tables import ItemTable
from jira_port.errors import JiraPortError

LOCK_PK = "backfill#lock"
LOCK_SK = "lock"
HANDOFF_PREFIX = "handoff:"


def _pk(mode: Mode) -> str:
    return f"backfill#{mode}"


def encode_ids(ids: list[str]) -> str:
    """Identifiers as base64(zlib(newline-joined)): compact and JSON-safe."""
    return base64.b64encode(zlib.compress("\n".join(ids).encode("utf-8"), 6)).decode("ascii")


def decode_ids(blob: str) -> list[str]:
    """Inverse of ``encode_ids``."""
    text = zlib.decompress(base64.b64decode(blob)).decode("utf-8")
    return text.split("\n") if text else []


class BackfillStore:
    """Typed access to the backfill's items."""

    def __init__(
        self, table: ItemTable, *, ttl_days: int = 14, clock: Callable[[], float] = time.time
    ) -> None:
        self.table = table
        self.ttl_seconds = ttl_days * 86400
        self._clock = clock

    def _expiry(self) -> int:
        return int(self._clock()) + self.ttl_seconds

    def load_run(self, mode: Mode) -> RunState | None:
        """The current or last run of ``mode``."""
        data = self.table.get(_pk(mode), "run")
        return None if data is None else RunState.from_json(data)

    def save_run(self, run: RunState) -> None:
        """Persist the run record."""
        self.table.put(_pk(run.mode), "run", run.to_json())

    def last_success_ms(self) -> int | None:
        """Start of the most recent successful run of any mode (the incremental watermark)."""
        starts = []
        for mode in MODES:
            data = self.table.get(_pk(mode), "last-success")
            if data is not None:
                starts.append(int(data["startedMs"]))
        return max(starts) if starts else None

    def record_success(self, run: RunState) -> None:
        """Make ``run`` the watermark of later incremental runs."""
        self.table.put(_pk(run.mode), "last-success", {"runId": run.run_id, "startedMs": run.started_ms})

    def load_partitions(self, run: RunState) -> list[PartitionState]:
        """Every partition of ``run``, ordered by key."""
        prefix = f"partition#{run.run_id}#"
        return [PartitionState.from_json(data) for _, data in self.table.query(_pk(run.mode), prefix)]

    def save_partition(self, run: RunState, partition: PartitionState) -> None:
        """Persist one partition (status, cursor, tally)."""
        sk = f"partition#{run.run_id}#{partition.key}"
        self.table.put(_pk(run.mode), sk, partition.to_json(), expires_at=self._expiry())

    def save_seen(self, run: RunState, key: str, page: int, ids: Mapping[str, list[str]]) -> None:
        """Record the identifiers (per blueprint) that page ``page`` of partition ``key`` produced."""
        sk = f"seen#{run.run_id}#{key}#{page:08d}"
        blobs = {blueprint: encode_ids(values) for blueprint, values in ids.items() if values}
        self.table.put(_pk(run.mode), sk, {"ids": blobs}, expires_at=self._expiry())

    def iter_seen(self, run: RunState) -> Iterator[tuple[str, list[str]]]:
        """Every (blueprint, identifiers) chunk recorded for ``run``."""
        for _, data in self.table.query(_pk(run.mode), f"seen#{run.run_id}#"):
            for blueprint, blob in (data.get("ids") or {}).items():
                yield blueprint, decode_ids(blob)


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

    @property
    def held(self) -> bool:
        """Whether this lease is currently held."""
        return self._held

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
