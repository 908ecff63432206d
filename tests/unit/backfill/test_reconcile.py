"""Reconciliation: the seen index, the deletion threshold and the live-change guard."""

from __future__ import annotations

from jira_port.backfill.reconcile import SeenIndex, reconcile

from .fakes import FakeGuard, FakePort


def port_with(blueprint: str, ids) -> FakePort:
    port = FakePort()
    port.entities[blueprint] = {i: {"identifier": i} for i in ids}
    return port


def test_seen_index_answers_membership_per_blueprint():
    index = SeenIndex.build(
        [("jiraIssue", [f"A-{n}" for n in range(5000)]), ("jiraIssue", ["A-1"]), ("p", ["X"])]
    )

    assert ("jiraIssue", "A-4999") in index and ("jiraIssue", "A-5000") not in index
    assert ("p", "X") in index and ("p", "A-1") not in index and ("other", "X") not in index
    assert index.count("jiraIssue") == 5000 and index.blueprints == ["jiraIssue", "p"]


def test_stale_entities_of_seen_blueprints_are_deleted_and_others_untouched():
    port = port_with("jiraIssue", ["A-1", "A-2", "A-3", "GONE-1"])
    port.entities["unrelated"] = {"U-1": {}}
    seen = SeenIndex.build([("jiraIssue", ["A-1", "A-2", "A-3"])])

    result = reconcile(seen, port, threshold=0.9)

    assert port.deleted == [("jiraIssue", "GONE-1")]
    assert result.tally.deleted == 1 and not result.refused
    assert result.blueprints["jiraIssue"] == {
        "seen": 3,
        "existing": 4,
        "stale": 1,
        "keptNewer": 0,
        "share": 0.25,
        "deleted": 1,
    }
    assert port.ids("unrelated") == {"U-1"}


def test_more_than_the_threshold_is_refused_for_every_blueprint():
    port = port_with("jiraIssue", [f"A-{n}" for n in range(10)])
    port.entities["jiraProject"] = {"OLD": {}, "P": {}}
    seen = SeenIndex.build([("jiraIssue", ["A-0"]), ("jiraProject", ["P"])])

    result = reconcile(seen, port, threshold=0.8)

    assert result.refused and "9 of 10 jiraIssue entities (90%)" in (result.reason or "")
    assert port.deleted == [] and result.to_json()["refused"] is True


def test_exactly_the_threshold_is_still_allowed():
    port = port_with("jiraIssue", ["A", "B", "C", "D"])
    result = reconcile(SeenIndex.build([("jiraIssue", ["A", "B"])]), port, threshold=0.5)
    assert not result.refused and len(port.deleted) == 2


def test_entities_a_live_event_touched_after_the_run_started_are_kept():
    port = port_with("jiraIssue", ["A", "NEW"])
    guard = FakeGuard({("jiraIssue", "NEW"): 2_000})

    result = reconcile(
        SeenIndex.build([("jiraIssue", ["A"])]), port, threshold=0.9, guard=guard, run_started_ms=1_000
    )

    assert port.deleted == [] and result.tally.skipped_newer == 1 and guard.calls == [1_000]
