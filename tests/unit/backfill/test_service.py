"""The backfill invocation end to end over fakes: phases, resume, crash, locks, incremental, verdicts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from jira_port.backfill.lock import RunLock
from jira_port.backfill.report import BackfillSummary
from jira_port.backfill.runtime import BackfillRequest
from jira_port.backfill.store import BackfillStore, RunState
from jira_port.errors import ConfigError
from jira_port.state import OwnershipLedger
from jira_port_tools.state_file import MemoryTable
from jira_port_tools.summary_text import render_summary

from .fakes import Clock, FakeGuard, Harness, harness, jql_error, make_jira, transient_error


def rec(summary: BackfillSummary) -> dict[str, Any]:
    assert summary.reconciliation is not None
    return summary.reconciliation


FULL = BackfillRequest("full")
INCREMENTAL = BackfillRequest("incremental")


def drain(
    h: Harness, request: BackfillRequest, remaining_ms: Callable[[], Clock] | None = None, limit: int = 50
) -> list[BackfillSummary]:
    """Invoke, then follow continuations like Lambda would, until the run ends."""
    service = h.service()
    summaries = [service.invoke(request, remaining_ms() if callable(remaining_ms) else None)]
    while (payload := h.continuation.take()) is not None and len(summaries) < limit:
        summaries.append(
            service.invoke(BackfillRequest.parse(payload), remaining_ms() if remaining_ms else None)
        )
    return summaries


def test_full_run_writes_every_project_and_issue_once_and_succeeds():
    h = harness(jira=make_jira(projects=3, per_project=7))
    summary = h.service().invoke(FULL)

    assert summary.status == "succeeded" and summary.ok is True
    assert h.port.ids("jiraProject") == {"P0", "P1", "P2"}
    assert len(h.port.ids("jiraIssue")) == 21
    assert set(h.port.upserts_by_id.values()) == {1}
    assert (summary.projects, summary.issues, summary.pages) == (3, 21, 9)  # 7 issues = 3 pages of 3
    assert summary.partitions == {"total": 3, "done": 3, "failed": 0, "pending": 0}
    assert summary.to_dict()["rejected"] == 0
    assert h.continuation.payloads == []


def test_events_are_shaped_like_webhooks_with_the_backfill_marker():
    h = harness(jira=make_jira(projects=1, per_project=1))
    h.service().invoke(FULL)

    (project_body, headers, query, base), (issue_body, *_) = h.mapping.bodies
    assert project_body["webhookEvent"] == "project_updated" and project_body["project"]["key"] == "P0"
    assert issue_body["webhookEvent"] == "jira:issue_updated" and issue_body["issue"]["key"] == "P0-1"
    assert isinstance(issue_body["timestamp"], int) and issue_body["timestamp"] > 1_700_000_000_000
    assert headers == {"x-jira-port-source": "backfill"} and query == {}
    assert base == "https://jira.example.com"


def test_out_of_time_run_continues_and_resumes_without_skipping_or_rewriting():
    # Given a clock that runs out after a few pages (each remaining-time check costs 0.4 s)
    h = harness(jira=make_jira(projects=4, per_project=10), partition_concurrency=1, safety_margin_seconds=1)
    clock_factory = lambda: Clock(start_ms=5000, step_ms=400)  # noqa: E731

    summaries = drain(h, FULL, clock_factory)

    assert len(summaries) > 2 and all(s.status == "continued" for s in summaries[:-1])
    assert summaries[-1].status == "succeeded"
    assert len(h.port.ids("jiraIssue")) == 40
    assert set(h.port.upserts_by_id.values()) == {1}  # no page written twice
    assert len(h.jira.served) == 16  # 4 pages per project, none fetched twice
    assert summaries[-1].invocations == len(summaries)
    assert summaries[-1].issues == 40 and summaries[-1].pages == 16


def test_a_crash_resumes_from_the_last_saved_cursor():
    h = harness(jira=make_jira(projects=2, per_project=12, fail_after_pages=5), partition_concurrency=1)
    with pytest.raises(RuntimeError, match="injected crash"):
        h.service().invoke(FULL)
    written_before = len(h.port.ids("jiraIssue"))
    assert written_before == 15  # every page fetched before the crash was written and committed

    h.jira.fail_after_pages = None
    summary = h.service().invoke(FULL)  # the scheduler fires again: resumes the unfinished run

    assert summary.status == "succeeded" and summary.invocations == 2
    assert len(h.port.ids("jiraIssue")) == 24
    assert set(h.port.upserts_by_id.values()) == {1}
    assert len(h.jira.served) == 8


def test_a_hard_crash_rereads_only_uncommitted_pages():
    # Given the state as it was after 3 committed pages while Port already holds more (kill -9 model)
    h = harness(jira=make_jira(projects=1, per_project=15), partition_concurrency=1)
    snapshots: list[MemoryTable] = []
    original = BackfillStore.save_partition

    def spy(store, run, partition):
        original(store, run, partition)
        if partition.tally.pages == 3 and not snapshots:
            snapshots.append(h.table.snapshot())

    BackfillStore.save_partition = spy  # type: ignore[method-assign]
    try:
        h.service().invoke(FULL)
    finally:
        BackfillStore.save_partition = original  # type: ignore[method-assign]
    lease_free = snapshots[0]
    lease_free._items.pop(("backfill#lock", "lock"), None)  # the dead holder's lease expired

    summary = h.service(table=lease_free).invoke(FULL)

    assert summary.status == "succeeded"
    assert summary.issues == 15 and summary.pages == 5
    assert len(h.port.ids("jiraIssue")) == 15
    issue_writes = sorted(n for key, n in h.port.upserts_by_id.items() if key.startswith("P0-"))
    assert issue_writes == [1] * 9 + [2] * 6  # pages 4 and 5 (written, not yet committed) re-read once


def test_transient_partition_errors_are_retried_by_the_next_invocation():
    jira = make_jira(projects=2, per_project=4, failures={"10001": [transient_error()]})
    h = harness(jira=jira)
    summaries = drain(h, FULL)

    assert [s.status for s in summaries] == ["continued", "succeeded"]
    assert len(h.port.ids("jiraIssue")) == 8


def test_an_unreadable_partition_fails_the_run_and_blocks_reconciliation():
    jira = make_jira(projects=2, per_project=4, failures={"10001": [jql_error()]})
    h = harness(jira=jira)
    h.port.entities["jiraIssue"] = {"OLD-1": {"identifier": "OLD-1"}}

    summary = h.service().invoke(FULL)

    assert summary.status == "failed" and summary.ok is False
    assert summary.failed_partitions[0]["key"] == "P1"
    assert "does not exist" in summary.failed_partitions[0]["error"]
    assert list(rec(summary)) == ["skipped"]
    assert "OLD-1" in h.port.ids("jiraIssue")


def test_rejections_are_reported_with_codes_and_examples_and_fail_the_run():
    h = harness(jira=make_jira(projects=1, per_project=6))
    h.port.reject = {"P0-2", "P0-5"}

    summary = h.service().invoke(FULL)
    data = summary.to_dict()

    assert summary.ok is False and summary.status == "failed"
    assert data["rejected"] == 2 and data["rejections"] == {"invalid_entity (422)": 2}
    assert {e["identifier"] for e in data["examples"]} == {"P0-2", "P0-5"}
    assert "Port rejected 2 entities" in data["message"]
    assert "invalid_entity (422)" in render_summary(summary)
    assert BackfillStore(h.table).last_success_ms() is None  # the watermark does not move


def test_full_run_deletes_what_jira_no_longer_has():
    h = harness(jira=make_jira(projects=2, per_project=10))
    h.service().invoke(FULL)
    gone = [i["key"] for i in h.jira.issues["10000"][:3]]
    h.jira.issues["10000"] = h.jira.issues["10000"][3:]

    summary = h.service().invoke(FULL)

    assert summary.status == "succeeded"
    assert h.port.deleted == [("jiraIssue", key) for key in sorted(gone)]
    assert rec(summary)["deleted"] == 3 and summary.to_dict()["deleted"] == 3


def test_mass_deletion_is_refused_and_fails_the_run():
    h = harness(jira=make_jira(projects=1, per_project=10), delete_threshold=0.5)
    h.service().invoke(FULL)
    h.jira.issues["10000"] = h.jira.issues["10000"][:2]

    summary = h.service().invoke(FULL)

    assert summary.status == "failed" and summary.ok is False
    assert rec(summary)["refused"] is True
    assert "8 of the 10 jiraIssue" in summary.message
    assert h.port.deleted == [] and len(h.port.ids("jiraIssue")) == 10


def test_reconciliation_keeps_entities_a_live_event_touched_after_the_run_started():
    guard = FakeGuard({("jiraIssue", "LIVE-1"): 2**62})
    h = harness(jira=make_jira(projects=1, per_project=3), guard=guard)
    h.port.entities["jiraIssue"] = {"LIVE-1": {}, "STALE-1": {}}
    OwnershipLedger(h.table).record([("jiraIssue", "LIVE-1"), ("jiraIssue", "STALE-1")])

    summary = h.service().invoke(FULL)

    assert h.port.deleted == [("jiraIssue", "STALE-1")]
    assert rec(summary)["keptNewer"] == 1


def test_the_guard_stops_backfill_from_overwriting_newer_live_changes():
    guard = FakeGuard({("jiraIssue", "P0-2"): 2**62})
    h = harness(jira=make_jira(projects=1, per_project=3), guard=guard)

    summary = h.service().invoke(FULL)

    assert "P0-2" not in h.port.ids("jiraIssue") and len(h.port.ids("jiraIssue")) == 2
    assert summary.to_dict()["skippedNewer"] == 1 and summary.ok is True


def test_incremental_reads_only_issues_updated_since_the_last_success():
    h = harness(jira=make_jira(projects=3, per_project=5), jira_timezone="UTC", overlap_seconds=0)
    h.service().invoke(FULL)
    h.jira.served.clear()
    for issue in (h.jira.issues["10001"][0], h.jira.issues["10002"][4]):
        issue["fields"]["updated"] = "2999-01-01 00:00"

    summary = h.service().invoke(INCREMENTAL)

    assert summary.status == "succeeded" and summary.since is not None
    # per project (anchors only work inside one), and only the two projects the probe found changes in
    assert summary.issues == 2 and summary.pages == 2
    assert sorted(h.jira.served) == [("10001", 0), ("10002", 0)]
    assert summary.partitions["total"] == 2 and summary.reconciliation is None


def test_incremental_without_a_previous_success_is_a_full_pass_without_deletes():
    h = harness(jira=make_jira(projects=2, per_project=4))
    h.port.entities["jiraIssue"] = {"OLD-1": {}}

    summary = h.service().invoke(INCREMENTAL)

    assert summary.status == "succeeded" and summary.since is None
    assert summary.issues == 8 and summary.partitions["total"] == 2
    assert "OLD-1" in h.port.ids("jiraIssue") and h.port.deleted == []
    assert BackfillStore(h.table).last_success_ms() is not None


def test_incremental_since_uses_the_jira_account_time_zone_and_overlap():
    h = harness(jira=make_jira(projects=1, per_project=1, timezone="America/New_York"), overlap_seconds=600)
    BackfillStore(h.table).record_success(RunState("r0", "full", "", started_ms=1_767_225_600_000))
    # 2026-01-01T00:00Z - 10 min = 2025-12-31 23:50 UTC = 18:50 in New York

    summary = h.service().invoke(INCREMENTAL)

    assert summary.since == "2025-12-31 18:50"


def test_a_second_invocation_is_refused_while_the_lock_is_held():
    h = harness()
    RunLock(h.table, "someone-else", lease_seconds=300).acquire()

    summary = h.service().invoke(FULL)

    assert summary.status == "locked" and summary.ok is None
    assert h.port.entities == {} and h.mapping.bodies == []


def test_a_stale_continuation_does_nothing():
    h = harness()
    h.service().invoke(FULL)

    summary = h.service().invoke(BackfillRequest("full", run_id="20200101T000000Z-deadbeef"))

    assert summary.status == "stale"
    assert RunLock(h.table, "next", lease_seconds=60).acquire()  # the lock was released


def test_the_handed_over_lock_admits_only_the_continuation():
    h = harness(jira=make_jira(projects=2, per_project=9), partition_concurrency=1)
    first = h.service().invoke(FULL, Clock(start_ms=2600, step_ms=400))
    assert first.status == "continued"

    assert h.service().invoke(FULL).status == "locked"  # the scheduler fires meanwhile
    payload = h.continuation.take()
    assert payload == {"mode": "full", "runId": first.run_id}
    assert h.service().invoke(BackfillRequest.parse(payload)).status == "succeeded"


def test_a_changed_scope_supersedes_the_unfinished_run():
    h = harness(jira=make_jira(projects=2, per_project=9), partition_concurrency=1)
    first = h.service().invoke(FULL, Clock(start_ms=2600, step_ms=400))
    h.continuation.take()
    h.table._items.pop(("backfill#lock", "lock"))

    second = h.service(scope="project = P0").invoke(FULL)

    assert second.run_id != first.run_id and second.status == "succeeded"


def test_a_timeout_shorter_than_the_margin_is_a_configuration_error():
    h = harness(safety_margin_seconds=120)
    with pytest.raises(ConfigError, match="BACKFILL_SAFETY_MARGIN_SECONDS"):
        h.service().invoke(FULL, lambda: 60_000)


def test_a_run_that_never_finishes_gives_up_after_max_invocations():
    jira = make_jira(projects=1, per_project=3, failures={"10000": [transient_error()] * 10})
    h = harness(jira=jira, partition_max_attempts=10, max_invocations=3)

    summaries = drain(h, FULL)

    assert [s.status for s in summaries] == ["continued", "continued", "failed"]
    assert "gave up after 3 invocations" in summaries[-1].message


def test_an_incremental_trigger_finishes_an_interrupted_full_run_first():
    h = harness(jira=make_jira(projects=2, per_project=9), partition_concurrency=1)
    first = h.service().invoke(FULL, Clock(start_ms=2600, step_ms=400))
    assert first.status == "continued"
    h.continuation.take()  # the continuation was lost
    h.table._items.pop(("backfill#lock", "lock"))  # and its handed-over lease expired

    healed = h.service().invoke(INCREMENTAL)

    assert healed.run_id == first.run_id and healed.mode == "full" and healed.status == "succeeded"
    assert len(h.port.ids("jiraIssue")) == 18 and set(h.port.upserts_by_id.values()) == {1}
