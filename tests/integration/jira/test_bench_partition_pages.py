"""The benches' concurrent partition pager (``bench._partition_pages``): per-project partitions paged
concurrently; unreadable projects are skipped, not fatal. The backfill pages through its own pipeline; these
keep the benches' reads honest."""

from __future__ import annotations

from collections import defaultdict

import pytest

from bench._partition_pages import (
    Partition,
    PartitionPage,
    PartitionSkipped,
    iter_partition_pages,
    project_partitions,
)
from jira_port.jira import JiraCredentials
from jira_port_emulators.jira import Account, JiraFaults
from tests.support.jira_emulator import running_jira


@pytest.mark.parametrize("flavour", ["cloud", "server"])
def test_concurrent_partitions_see_every_issue_once(flavour: str) -> None:
    with running_jira(
        flavour, projects=4, issues=600, faults=JiraFaults(throttle_rate=0.1, retry_after=0, seed=2)
    ) as jira:
        client = jira.client(max_concurrency=3, page_size=40)
        partitions = project_partitions(client, "statusCategory != Done ORDER BY created")
        assert partitions[0].jql.startswith(f"project = {partitions[0].project_id} AND (")
        pages: dict[str, list[list[int]]] = defaultdict(list)
        for item in iter_partition_pages(client, partitions, fields=["status"]):
            assert isinstance(item, PartitionPage)
            pages[item.partition.project_key].append([int(i["id"]) for i in item.page.issues])
        ds = jira.emulator.ds
        expected = sorted(i.id for i in ds.issues.values() if i.status_id != "10003")
        seen = sorted(i for chunks in pages.values() for chunk in chunks for i in chunk)
        assert seen == expected
        project_ids = {p.key: p.id for p in ds.projects.values()}
        for key, chunks in pages.items():  # each partition's pages arrive in order
            flat = [i for chunk in chunks for i in chunk]
            assert flat == sorted(flat) and all(ds.issues[i].project_id == project_ids[key] for i in flat)


@pytest.mark.parametrize("flavour", ["cloud", "server"])
def test_a_project_the_token_cannot_read_is_skipped_with_the_reason(flavour: str) -> None:
    # Given an account that lost access to one project after the partitions were listed
    with running_jira(flavour, projects=3, issues=90) as jira:
        keys = [p.key for p in jira.emulator.ds.projects.values()]
        admin = jira.client()
        partitions = project_partitions(admin)
        restricted = Account("limited", secret="pw", projects=frozenset(keys[:2]))
        jira.emulator.accounts.append(restricted)
        client = jira.client(credentials=JiraCredentials.basic("limited", "pw"), max_concurrency=2)
        results = list(iter_partition_pages(client, partitions, fields="summary"))
        skipped = [r for r in results if isinstance(r, PartitionSkipped)]
        if flavour == "server":
            assert [s.partition.project_key for s in skipped] == [keys[2]]
            assert skipped[0].status == 400 and "does not exist for the field 'project'" in skipped[0].reason
        else:  # Cloud answers an unreadable project with 200 and no issues, not a 400
            assert skipped == []
        read = {r.partition.project_key for r in results if isinstance(r, PartitionPage) and r.page.issues}
        assert read == set(keys[:2])
        # and the restricted account only lists what it can see
        assert sorted(p.project_key for p in project_partitions(client)) == sorted(keys[:2])


def test_cursors_resume_partitions_and_early_stop_leaves_no_hang() -> None:
    with running_jira("cloud", projects=3, issues=300) as jira:
        client = jira.client(max_concurrency=3, page_size=10)
        partitions = project_partitions(client)
        cursors: dict[str, dict[str, object] | None] = {}
        seen: set[int] = set()
        for n, item in enumerate(iter_partition_pages(client, partitions, fields="summary")):
            assert isinstance(item, PartitionPage)
            seen.update(int(i["id"]) for i in item.page.issues)
            cursors[item.partition.project_id] = item.page.cursor
            if n == 5:
                break  # the consumer stops early: the worker threads must wind down
        resumed = [p for p in partitions if cursors.get(p.project_id, {}) is not None]
        resume_from = {p.project_id: cursors.get(p.project_id) for p in resumed}
        for item in iter_partition_pages(client, resumed, cursors=resume_from, fields="summary"):
            assert isinstance(item, PartitionPage)
            ids = {int(i["id"]) for i in item.page.issues}
            assert not ids & seen
            seen |= ids
        assert seen == set(jira.emulator.ds.issues)


def test_other_errors_propagate_from_workers() -> None:
    with running_jira("server", projects=2, issues=20) as jira:
        bad = [Partition("10000", "X", "foo = 1"), Partition("10001", "Y", "project = 10001")]
        with pytest.raises(Exception, match="Field 'foo' does not exist"):
            list(iter_partition_pages(jira.client(max_concurrency=2), bad))
