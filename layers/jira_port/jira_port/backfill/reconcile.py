"""Reconciliation after a clean full pass: delete from Port what Jira no longer has.

Scope: only blueprints the run itself wrote, and only identifiers the mapping produced, so it works
for any mapping. The identifiers seen by the run are persisted per page (see ``store``), which lets
a full run span many invocations. Here they are loaded into a ``SeenIndex``: per blueprint a sorted
``array`` of 64-bit BLAKE2b digests, 8 bytes per identifier (0.8 MB for 100,000 issues) and
binary-searched, instead of a set of strings. A digest collision (odds ~N²/2⁶⁴) can only keep a
stale entity, never delete a live one.

Ownership: only entities in this deployment's ledger (``jira_port.state``) are deleted; other
writers' entities in the same blueprints are kept and reported (``keptNotOwned``). If Port's list or
the ledger cannot be read, nothing is deleted and the run reports why (never "delete everything
unseen").

Safety: if, for any blueprint, more than ``threshold`` of this deployment's entities would go, nothing
is deleted and the run is marked not ok (a wrong JQL scope or credentials that lost visibility look
exactly like a mass deletion). With a version guard, entities the live path touched after the run
started are kept (a live create may be missing from a partition read before it).
"""

from __future__ import annotations

import hashlib
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jira_port.backfill.report import tally_failures
from jira_port.backfill.store import MAX_EXAMPLES, Tally
from jira_port.errors import JiraPortError
from jira_port.observability import logger
from jira_port.transport import HttpError

if TYPE_CHECKING:
    from jira_port.live.guard import VersionGuard
    from jira_port.port import PortClient
    from jira_port.state import OwnershipLedger


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
    skipped: str | None = None
    threshold: float = 0.9
    blueprints: dict[str, dict[str, Any]] = field(default_factory=dict)
    tally: Tally = field(default_factory=Tally)
    not_owned: int = 0

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form (stored on the run and shown in the summary)."""
        out: dict[str, Any] = {
            "refused": self.refused,
            "reason": self.reason,
            "threshold": self.threshold,
            "blueprints": self.blueprints,
            "deleted": self.tally.deleted,
            "failed": self.tally.rejected,
            "keptNewer": self.tally.skipped_newer,
            "keptNotOwned": self.not_owned,
        }
        if self.skipped is not None:
            out.update(skipped=self.skipped, ownershipError=True)
        return out


def reconcile(
    seen: SeenIndex,
    port: PortClient,
    ledger: OwnershipLedger,
    *,
    threshold: float,
    guard: VersionGuard | None = None,
    run_started_ms: int | None = None,
    adopt_created_by: frozenset[str] = frozenset(),
) -> ReconcileResult:
    """Delete Port entities of the seen blueprints that this deployment owns and the run did not produce.

    Unseen entities outside the ledger are kept and counted (``keptNotOwned``, first identifiers as
    examples), unless Port says one of ``adopt_created_by`` created them (an operator's explicit
    adoption). When Port's list or the ledger cannot be read, nothing is deleted (``skipped``).
    """
    result = ReconcileResult(threshold=threshold)
    try:
        plan = _plan(
            seen, port, ledger, result, guard=guard, run_started_ms=run_started_ms, adopt=adopt_created_by
        )
    except (JiraPortError, HttpError) as exc:
        result.skipped = f"ownership check failed, nothing was deleted: {type(exc).__name__}: {exc}"[:500]
        logger.error("backfill reconciliation skipped", extra={"reason": result.skipped})
        return result
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
        try:
            ledger.forget((blueprint, i) for i in [*outcome.succeeded, *outcome.absent])
        except JiraPortError as exc:  # harmless: a stale ledger entry only names an entity that is gone
            logger.warning(
                "cannot drop deleted entities from the ownership ledger", extra={"error": str(exc)}
            )
    logger.info("backfill reconciliation done", extra=_log(result))
    return result


def _plan(
    seen: SeenIndex,
    port: PortClient,
    ledger: OwnershipLedger,
    result: ReconcileResult,
    *,
    guard: VersionGuard | None,
    run_started_ms: int | None,
    adopt: frozenset[str],
) -> dict[str, list[str]]:
    plan: dict[str, list[str]] = {}
    for blueprint in seen.blueprints:
        owned = SeenIndex()
        owned.add(blueprint, ledger.identifiers(blueprint))
        if adopt:
            owned.add(blueprint, port.iter_entity_identifiers(blueprint, created_by=sorted(adopt)))
        owned.freeze()
        existing = ours = 0
        stale: list[str] = []
        foreign = 0
        examples: list[str] = []
        for identifier in port.iter_entity_identifiers(blueprint):
            existing += 1
            if (blueprint, identifier) in seen:
                ours += 1
            elif (blueprint, identifier) in owned:
                ours += 1
                stale.append(identifier)
            else:
                foreign += 1
                if len(examples) < MAX_EXAMPLES:
                    examples.append(identifier)
        kept = 0
        if stale and guard is not None and run_started_ms is not None:
            newer = guard.newer_entries(((blueprint, i) for i in stale), run_started_ms)
            if newer:
                kept = sum(1 for i in stale if (blueprint, i) in newer)
                stale = [i for i in stale if (blueprint, i) not in newer]
        # The share counts this deployment's entities only: other writers' entities neither dilute
        # nor trigger the guard.
        share = len(stale) / ours if ours else 0.0
        result.blueprints[blueprint] = {
            "seen": seen.count(blueprint),
            "existing": existing,
            "owned": ours,
            "stale": len(stale),
            "keptNewer": kept,
            "keptNotOwned": foreign,
            "notOwnedExamples": examples,
            "share": round(share, 4),
        }
        result.tally.skipped_newer += kept
        result.not_owned += foreign
        plan[blueprint] = stale
        if share > result.threshold:
            result.refused = True
            result.reason = (
                f"{len(stale)} of the {ours} {blueprint} entities this deployment owns ({share:.0%}) "
                f"would be deleted, more than BACKFILL_DELETE_THRESHOLD={result.threshold}; "
                "nothing was deleted"
            )
    return plan


def _log(result: ReconcileResult) -> dict[str, Any]:
    return {
        "blueprints": result.blueprints,
        "deleted": result.tally.deleted,
        "failed": result.tally.rejected,
        "kept_not_owned": result.not_owned,
    }
