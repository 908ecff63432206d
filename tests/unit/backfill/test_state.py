"""State storage: the three tables, seen-identifier chunks, and the run lock."""

from __future__ import annotations

import json

import pytest

from jira_port.backfill.lock import LockLostError, RunLock
from jira_port.backfill.store import BackfillStore, PartitionState, RunState, Tally, decode_ids, encode_ids
from jira_port.errors import ConfigError
from jira_port_tools.state_file import FileTable, MemoryTable


class FakeTime:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def run_state(mode="full", run_id="r1") -> RunState:
    return RunState(run_id=run_id, mode=mode, scope="project IS NOT EMPTY", started_ms=1_000)


@pytest.fixture(params=["memory", "file"])
def table(request, tmp_path):
    return MemoryTable() if request.param == "memory" else FileTable(tmp_path / "state.json")


def test_runs_partitions_and_watermarks_round_trip(table):
    store = BackfillStore(table)
    run = run_state()
    run.projects = Tally(items=3, upserted=3, codes={"x (422)": 1}, examples=[{"identifier": "A"}])
    store.save_run(run)
    store.save_partition(run, PartitionState("B", "project = 2", cursor={"nextPageToken": "t", "afterId": 7}))
    store.save_partition(run, PartitionState("A", "project = 1", status="done"))
    store.save_partition(run_state(run_id="other"), PartitionState("C", "project = 3"))

    assert store.load_run("full") == run
    assert store.load_run("incremental") is None
    assert [p.key for p in store.load_partitions(run)] == ["A", "B"]
    assert store.load_partitions(run)[1].cursor == {"nextPageToken": "t", "afterId": 7}
    assert store.last_success_ms() is None
    store.record_success(run)
    store.record_success(RunState("r2", "incremental", "", started_ms=5_000))
    assert store.last_success_ms() == 5_000


def test_seen_chunks_round_trip_and_a_rewritten_page_is_harmless(table):
    store = BackfillStore(table)
    run = run_state()
    store.save_seen(run, "P1", 0, {"jiraIssue": ["P1-1", "P1-2"], "empty": []})
    store.save_seen(run, "P1", 0, {"jiraIssue": ["P1-1", "P1-2"]})  # the same page after a crash
    store.save_seen(run, "P2", 0, {"jiraIssue": ["P2-1"], "jiraProject": ["P2"]})
    store.save_seen(run_state(run_id="old"), "P9", 0, {"jiraIssue": ["OLD-1"]})

    seen = {(bp, i) for bp, ids in store.iter_seen(run) for i in ids}

    assert seen == {
        ("jiraIssue", "P1-1"),
        ("jiraIssue", "P1-2"),
        ("jiraIssue", "P2-1"),
        ("jiraProject", "P2"),
    }


def test_identifier_chunks_are_compact():
    ids = [f"PROJ-{n}" for n in range(1000)]
    blob = encode_ids(ids)
    assert decode_ids(blob) == ids and decode_ids(encode_ids([])) == []
    assert len(blob) < 3000  # ~10 kB of keys compress to a few bytes per key


def test_file_table_survives_a_restart_and_keeps_seen_out_of_the_main_file(tmp_path):
    path = tmp_path / "state.json"
    store = BackfillStore(FileTable(path))
    run = run_state()
    store.save_run(run)
    store.save_seen(run, "P1", 0, {"jiraIssue": ["P1-1"]})

    reopened = BackfillStore(FileTable(path))

    assert reopened.load_run("full") == run
    assert list(reopened.iter_seen(run)) == [("jiraIssue", ["P1-1"])]
    assert "seen#" not in path.read_text(encoding="utf-8")
    assert json.loads(path.read_text(encoding="utf-8"))["version"] == 1


def test_file_table_drops_expired_items_on_load(tmp_path):
    path = tmp_path / "state.json"
    FileTable(path).put("pk", "old", {"v": 1}, expires_at=1)
    FileTable(path).put("pk", "new", {"v": 2}, expires_at=None)
    assert FileTable(path).get("pk", "old") is None and FileTable(path).get("pk", "new") == {"v": 2}


def test_file_table_changes_append_to_a_journal_replayed_on_load(tmp_path):
    path = tmp_path / "state.json"
    table = FileTable(path)
    table.put_many("owned#jiraIssue", ["A-1", "A-2", "A-3"], {})
    table.delete_many("owned#jiraIssue", ["A-2"])
    table.put("run", "full", {"v": 1})
    assert not path.exists()  # no change rewrote the whole table
    assert len(table.journal.read_text(encoding="utf-8").splitlines()) == 5

    with table.journal.open("a", encoding="utf-8") as handle:
        handle.write('{"pk": "run", "sk": "full", "data": {"v"')  # a crash in the middle of a change

    reopened = FileTable(path)
    assert [sk for sk, _ in reopened.query("owned#jiraIssue", "")] == ["A-1", "A-3"]
    assert reopened.get("run", "full") == {"v": 1}
    assert not reopened.journal.exists() and json.loads(path.read_text(encoding="utf-8"))["version"] == 1


def test_a_long_journal_is_compacted_into_the_file(tmp_path):
    table = FileTable(tmp_path / "state.json")
    for n in range(1001):
        table.put("run", "full", {"v": n})
    assert not table.journal.exists() or len(table.journal.read_text(encoding="utf-8").splitlines()) < 1000
    assert FileTable(tmp_path / "state.json").get("run", "full") == {"v": 1000}


def test_a_corrupt_state_file_is_a_clear_configuration_error(tmp_path):
    path = tmp_path / "state.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"state\.json is unreadable"):
        FileTable(path)


def test_a_torn_seen_line_is_skipped(tmp_path):
    table = FileTable(tmp_path / "state.json")
    store = BackfillStore(table)
    run = run_state()
    store.save_seen(run, "P1", 0, {"jiraIssue": ["P1-1"]})
    log = next((tmp_path / "state.json.d").glob("*.jsonl"))
    with log.open("a", encoding="utf-8") as handle:
        handle.write('{"sk": "seen#r1#P1#000')
    assert list(store.iter_seen(run)) == [("jiraIssue", ["P1-1"])]


def test_the_lock_admits_one_holder_until_released_or_expired(table):
    clock = FakeTime()
    first = RunLock(table, "a", lease_seconds=60, clock=clock)
    second = RunLock(table, "b", lease_seconds=60, clock=clock)

    assert first.acquire() and not second.acquire()
    first.release()
    assert second.acquire()
    clock.now += 61  # b died without releasing
    assert first.acquire()


def test_a_handed_over_lock_admits_only_that_runs_continuation(table):
    clock = FakeTime()
    holder = RunLock(table, "a", lease_seconds=60, clock=clock)
    holder.acquire()
    assert holder.handoff("run-1", 120)
    holder.release()  # the holder let go at the handoff: its release must not free the run's lock

    assert not RunLock(table, "scheduler", lease_seconds=60, clock=clock).acquire()
    assert not RunLock(table, "other-run", lease_seconds=60, clock=clock).acquire("run-2")
    assert RunLock(table, "continuation", lease_seconds=60, clock=clock).acquire("run-1")


def test_renewal_extends_the_lease_and_detects_a_takeover(table):
    clock = FakeTime()
    lock = RunLock(table, "a", lease_seconds=60, clock=clock)
    lock.acquire()
    clock.now += 50
    lock.renew()  # extended to now + 60
    clock.now += 50
    assert not RunLock(table, "b", lease_seconds=60, clock=clock).acquire()
    clock.now += 61
    assert RunLock(table, "b", lease_seconds=60, clock=clock).acquire()
    with pytest.raises(LockLostError):
        lock.renew()
