"""Reconciliation after a clean full pass: delete from Port what Jira no longer has.

Scope: only blueprints the run itself wrote, and only identifiers the mapping produced, so it works
for any mapping. The identifiers seen by the run are persisted per page (see ``state``), which lets
a full run span many invocations. Here they are loaded into a ``SeenIndex``: per blueprint a sorted
``array`` of 64-bit BLAKE2b digests, 8 bytes per identifier (0.8 MB for 100,000 issues) and
binary-searched, instead of a set of strings. A digest collision (odds ~N²/2⁶⁴) can only keep a
stale entity, never delete a live one.

Safety: if, for any blueprint, more than ``threshold`` of Port's entities would go, nothing is
deleted and the run is marked not ok (a wrong JQL scope or credentials that lost visibility look
exactly like a mass deletion). With a version guard, entities the live path touched after the run
started are kept (a live create may be missing from a partition read before it).
"""

from __future__ import annotations

import hashlib
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from jira_port.backfill.deps import PortCatalog, VersionGuardLike
from jira_port.backfill.model import Tally
from jira_port.backfill.writer import tally_failures
from jira_port.observability import logger


def digest(identifier: str) -> int:
    """The 64-bit digest an identifier is indexed by."""
    return int.from_bytes(hashlib.blake2b(identifier.encode("utf-8"), digest_size=8).digest(), "big")


class SeenIndex:
    """Compact membership index of the identifiers a run produced, per blueprint.

    Digests are kept in 256 buckets by their top byte, so sorting one bucket at a time needs only a
    small temporary list.
    """

    def __init__(self) -> None:
        self._buckets: dict[str, list[array[int]]] = {}
        self._counts: dict[str, int] = {}
        self._frozen = False

    @classmethod
    def build(cls, chunks: Iterable[tuple[str, list[str]]]) -> SeenIndex:
        """Index every (blueprint, identifiers) chunk (repeated chunks are harmless)."""
        index = cls()
        for blueprint, ids in chunks:
            index.add(blueprint, ids)
        index.freeze()
        return index

    def add(self, blueprint: str, identifiers: Iterable[str]) -> None:
        """Add identifiers of ``blueprint``."""
        buckets = self._buckets.get(blueprint)
        if buckets is None:
            buckets = self._buckets[blueprint] = [array("Q") for _ in range(256)]
        for identifier in identifiers:
            value = digest(identifier)
            buckets[value >> 56].append(value)
        self._frozen = False

    def freeze(self) -> None:
        """Sort and de-duplicate every bucket (required before lookups)."""
        for blueprint, buckets in self._buckets.items():
            for i, bucket in enumerate(buckets):
                buckets[i] = array("Q", sorted(set(bucket)))
            self._counts[blueprint] = sum(len(b) for b in buckets)
        self._frozen = True

    @property
    def blueprints(self) -> list[str]:
        """Blueprints with at least one identifier, sorted."""
        return sorted(b for b, n in self._counts.items() if n)

    def count(self, blueprint: str) -> int:
        """Distinct identifiers of ``blueprint``."""
        return self._counts.get(blueprint, 0)

    def __contains__(self, key: tuple[str, str]) -> bool:
        assert self._frozen, "freeze() before lookups"
        buckets = self._buckets.get(key[0])
        if buckets is None:
            return False
        value = digest(key[1])
        bucket = buckets[value >> 56]
        pos = bisect_left(bucket, value)
        return pos < len(bucket) and bucket[pos] == value


@dataclass(slots=True)
class ReconcileResult:
    """What reconciliation found and did, per blueprint and in total."""

    refused: bool = False
    reason: str | None = None
    threshold: float = 0.9
    blueprints: dict[str, dict[str, Any]] = field(default_factory=dict)
    tally: Tally = field(default_factory=Tally)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form (stored on the run and shown in the summary)."""
        return {
            "refused": self.refused,
            "reason": self.reason,
            "threshold": self.threshold,
            "blueprints": self.blueprints,
            "deleted": self.tally.deleted,
            "failed": self.tally.rejected,
            "keptNewer": self.tally.skipped_newer,
        }


def reconcile(
    seen: SeenIndex,
    port: PortCatalog,
    *,
    threshold: float,
    guard: VersionGuardLike | None = None,
    run_started_ms: int | None = None,
) -> ReconcileResult:
    """Delete Port entities of the seen blueprints whose identifiers the run did not produce."""
    result = ReconcileResult(threshold=threshold)
    plan: dict[str, list[str]] = {}
    for blueprint in seen.blueprints:
        existing = 0
        stale: list[str] = []
        for identifier in port.iter_entity_identifiers(blueprint):
            existing += 1
            if (blueprint, identifier) not in seen:
                stale.append(identifier)
        kept = 0
        if stale and guard is not None and run_started_ms is not None:
            newer = guard.newer_entries(((blueprint, i) for i in stale), run_started_ms)
            if newer:
                kept = sum(1 for i in stale if (blueprint, i) in newer)
                stale = [i for i in stale if (blueprint, i) not in newer]
        share = len(stale) / existing if existing else 0.0
        result.blueprints[blueprint] = {
            "seen": seen.count(blueprint),
            "existing": existing,
            "stale": len(stale),
            "keptNewer": kept,
            "share": round(share, 4),
        }
        result.tally.skipped_newer += kept
        plan[blueprint] = stale
        if share > threshold:
            result.refused = True
            result.reason = (
                f"{len(stale)} of {existing} {blueprint} entities ({share:.0%}) would be deleted, "
                f"more than BACKFILL_DELETE_THRESHOLD={threshold}; nothing was deleted"
            )
    if result.refused:
        logger.error("backfill reconciliation refused", extra={"reason": result.reason, **_log(result)})
        return result
    for blueprint, stale in plan.items():
        if not stale:
            continue
        outcome = port.delete_entities(blueprint, stale, delete_dependents=False)
        failures = tally_failures(outcome.failures)
        failures.deleted = len(outcome.succeeded)
        result.tally.add(failures)
        result.blueprints[blueprint]["deleted"] = len(outcome.succeeded)
    logger.info("backfill reconciliation done", extra=_log(result))
    return result


def _log(result: ReconcileResult) -> dict[str, Any]:
    return {"blueprints": result.blueprints, "deleted": result.tally.deleted, "failed": result.tally.rejected}
