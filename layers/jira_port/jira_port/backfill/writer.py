"""Write one page of actions to Port (or print them in a dry run) and tally the outcome."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from jira_port.actions import Action
from jira_port.backfill.deps import ApplyFn, FailureLike, VersionGuardLike
from jira_port.backfill.records import MAX_EXAMPLES, Tally

if TYPE_CHECKING:
    from jira_port.ownership import OwnershipLedger

MAX_MESSAGE_CHARS = 300


def failure_code(failure: FailureLike) -> str:
    """The key rejections are counted by: Port's error code and the HTTP status, e.g. ``not_found (404)``."""
    status = "no response" if failure.status == 0 else str(failure.status)
    return f"{failure.error or 'error'} ({status})"


def tally_failures(failures: Sequence[FailureLike]) -> Tally:
    """Rejection counts per code and the first examples."""
    tally = Tally(rejected=len(failures))
    for failure in failures:
        code = failure_code(failure)
        tally.codes[code] = tally.codes.get(code, 0) + 1
        if len(tally.examples) < MAX_EXAMPLES:
            tally.examples.append(
                {
                    "blueprint": failure.blueprint,
                    "identifier": failure.identifier,
                    "operation": failure.operation,
                    "status": failure.status,
                    "error": failure.error,
                    "message": failure.message[:MAX_MESSAGE_CHARS],
                    "transient": failure.transient,
                }
            )
    return tally


class PageWriter:
    """Applies a page's actions; with a version guard, drops upserts a newer live change superseded.

    The guard is asked with the time the page was read: an entity the live path wrote or deleted
    after that instant is left alone, so a backfill never overwrites a newer change nor resurrects
    an entity a live delete removed. With an ownership ledger, every entity Port accepted is recorded
    as this deployment's (a ledger failure raises: the page is not committed and is written again).
    """

    def __init__(
        self, apply: ApplyFn, guard: VersionGuardLike | None = None, ledger: OwnershipLedger | None = None
    ) -> None:
        self.apply = apply
        self.guard = guard
        self.ledger = ledger

    def write(self, actions: list[Action], read_at_ms: int) -> Tally:
        """Write ``actions`` and return their tally (``pages``/``items`` are left to the caller)."""
        skipped = 0
        if self.guard is not None and actions:
            keys = {(a.blueprint, a.identifier) for a in actions}
            newer = self.guard.newer_entries(keys, read_at_ms)
            if newer:
                kept = [a for a in actions if (a.blueprint, a.identifier) not in newer]
                skipped = len(actions) - len(kept)
                actions = kept
        if not actions:
            return Tally(skipped_newer=skipped)
        result = self.apply(actions)
        if self.ledger is not None:
            failed = {(f.blueprint, f.identifier) for f in result.failures}
            self.ledger.record(
                (a.blueprint, a.identifier)
                for a in actions
                if a.operation == "upsert" and (a.blueprint, a.identifier) not in failed
            )
        tally = tally_failures(result.failures)
        tally.upserted = result.upserted
        tally.deleted = result.deleted
        tally.retried = result.retried
        tally.skipped_newer = skipped
        return tally


@dataclass(slots=True)
class DryRunResult:
    """What a dry run "wrote": every action counts as applied."""

    upserted: int = 0
    deleted: int = 0
    failures: list[FailureLike] = field(default_factory=list)
    retried: int = 0


class DryRunApply:
    """An ``ApplyFn`` that prints each action as one JSON line (``Action.to_json()``) instead of writing."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._lock = threading.Lock()

    def __call__(self, actions: list[Action]) -> DryRunResult:
        lines = "".join(json.dumps(a.to_json(), ensure_ascii=False, sort_keys=True) + "\n" for a in actions)
        with self._lock:
            self.out.write(lines)
            self.out.flush()
        upserts = sum(1 for a in actions if a.operation == "upsert")
        return DryRunResult(upserted=upserts, deleted=len(actions) - upserts)
