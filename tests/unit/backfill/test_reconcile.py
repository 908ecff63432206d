"""Reconciliation: the seen index, ownership, the deletion threshold and the live-change guard."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from jira_port.backfill.reconcile import SeenIndex, reconcile
from jira_port.port.types import PortAPIError
from jira_port.state import OwnershipLedger, StateError
from jira_port_tools.state_file import MemoryTable

from .fakes import FakeGuard, FakePort, as_guard, as_port


def port_with(blueprint: str, ids: Iterable[str]) -> FakePort:
    port = FakePort()
    port.entities[blueprint] = {i: {"identifier": i} for i in ids}
    return port


def ledger_of(blueprint: str, ids: Iterable[str]) -> OwnershipLedger:
    ledger = OwnershipLedger(MemoryTable())
    ledger.record((blueprint, i) for i in ids)
    return ledger


def test_seen_index_answers_membership_per_blueprint():
    index = SeenIndex.build(
        [("jiraIssue", [f"A-{n}" for n in range(5000)]), ("jiraIssue", ["A-1"]), ("p", ["X"])]
    )

    assert ("jiraIssue", "A-4999") in index and ("jiraIssue", "A-5000") not in index
    assert ("p", "X") in index and ("p", "A-1") not in index and ("other", "X") not in index
    assert index.count("jiraIssue") == 5000 and index.blueprints == ["jiraIssue", "p"]


def test_stale_owned_entities_are_deleted_and_forgotten_others_untouched():
    port = port_with("jiraIssue", ["A-1", "A-2", "A-3", "GONE-1"])
    port.entities["unrelated"] = {"U-1": {}}
    ledger = ledger_of("jiraIssue", ["A-1", "A-2", "A-3", "GONE-1"])
    seen = SeenIndex.build([("jiraIssue", ["A-1", "A-2", "A-3"])])

    result = reconcile(seen, as_port(port), ledger, threshold=0.9)

    assert port.deleted == [("jiraIssue", "GONE-1")]
    assert result.tally.deleted == 1 and not result.refused
    assert result.blueprints["jiraIssue"] == {
        "seen": 3,
        "existing": 4,
        "owned": 4,
        "stale": 1,
        "keptNewer": 0,
        "keptNotOwned": 0,
        "notOwnedExamples": [],
        "share": 0.25,
        "deleted": 1,
    }
    assert port.ids("unrelated") == {"U-1"}
    assert not ledger.owns("jiraIssue", "GONE-1") and ledger.owns("jiraIssue", "A-1")


def test_entities_of_other_writers_are_never_deleted_whatever_their_share():
    other = [f"OTHER-{n}" for n in range(40)]
    port = port_with("jiraIssue", ["A-1", "GONE-1", *other])
    seen = SeenIndex.build([("jiraIssue", ["A-1"])])

    result = reconcile(seen, as_port(port), ledger_of("jiraIssue", ["A-1", "GONE-1"]), threshold=0.9)

    assert port.deleted == [("jiraIssue", "GONE-1")]
    assert result.not_owned == 40 and result.to_json()["keptNotOwned"] == 40
    assert result.blueprints["jiraIssue"]["notOwnedExamples"] == sorted(other)[:5]


def test_without_a_ledger_the_first_run_deletes_nothing():
    """The upgrade path: entities written before ownership was recorded are kept, not guessed at."""
    port = port_with("jiraIssue", ["A-1", "GONE-1"])
    result = reconcile(
        SeenIndex.build([("jiraIssue", ["A-1"])]), as_port(port), ledger_of("x", []), threshold=0.9
    )
    assert port.deleted == [] and result.not_owned == 1 and not result.refused


def test_more_than_the_threshold_of_owned_entities_is_refused_for_every_blueprint():
    port = port_with("jiraIssue", [f"A-{n}" for n in range(10)])
    port.entities["jiraProject"] = {"OLD": {}, "P": {}}
    ledger = ledger_of("jiraIssue", [f"A-{n}" for n in range(10)])
    ledger.record([("jiraProject", "OLD"), ("jiraProject", "P")])
    seen = SeenIndex.build([("jiraIssue", ["A-0"]), ("jiraProject", ["P"])])

    result = reconcile(seen, as_port(port), ledger, threshold=0.8)

    assert result.refused and "9 of the 10 jiraIssue entities" in (result.reason or "")
    assert port.deleted == [] and result.to_json()["refused"] is True


def test_exactly_the_threshold_is_still_allowed():
    port = port_with("jiraIssue", ["A", "B", "C", "D"])
    ledger = ledger_of("jiraIssue", ["A", "B", "C", "D"])
    result = reconcile(SeenIndex.build([("jiraIssue", ["A", "B"])]), as_port(port), ledger, threshold=0.5)
    assert not result.refused and len(port.deleted) == 2


def test_entities_a_live_event_touched_after_the_run_started_are_kept():
    port = port_with("jiraIssue", ["A", "NEW"])
    guard = FakeGuard({("jiraIssue", "NEW"): 2_000})

    result = reconcile(
        SeenIndex.build([("jiraIssue", ["A"])]),
        as_port(port),
        ledger_of("jiraIssue", ["A", "NEW"]),
        threshold=0.9,
        guard=as_guard(guard),
        run_started_ms=1_000,
    )

    assert port.deleted == [] and result.tally.skipped_newer == 1 and guard.calls == [1_000]


class BrokenTable(MemoryTable):
    def query(self, pk, sk_prefix):
        raise StateError("DynamoDB Query on state failed: ProvisionedThroughputExceededException")


class BrokenPort(FakePort):
    def iter_entity_identifiers(self, blueprint, *, created_by=None):
        yield "A"
        raise PortAPIError(503, "service_unavailable", "search failed", blueprint=blueprint)


@pytest.mark.parametrize("broken", ["ledger", "port"])
def test_an_unreadable_ownership_record_skips_every_delete(broken: str):
    port = BrokenPort() if broken == "port" else FakePort()
    port.entities["jiraIssue"] = {"A": {}, "GONE": {}}
    ledger = OwnershipLedger(BrokenTable()) if broken == "ledger" else ledger_of("jiraIssue", ["A", "GONE"])

    result = reconcile(SeenIndex.build([("jiraIssue", ["A"])]), as_port(port), ledger, threshold=0.9)

    assert port.deleted == [] and result.skipped and "nothing was deleted" in result.skipped
    assert result.to_json()["ownershipError"] is True
