"""The version guard: the ordering rule, its DynamoDB conditions, and the interleavings it must survive."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import boto3
import pytest
from moto import mock_aws

from jira_port.live.guard import GuardState, GuardUnavailableError, VersionGuard, entity_pk, supersedes
from tests.integration.live.resources import TABLE
from tests.support.aws import create_state_table

BP = "jiraIssue"


@pytest.fixture
def ddb(aws_env: None) -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb")
        create_state_table(client, TABLE)
        yield client


@pytest.fixture
def guard(ddb: Any) -> VersionGuard:
    return VersionGuard(ddb, TABLE, ttl_days=30, clock=lambda: 1_700_000_000.0)


@pytest.mark.parametrize(
    ("version", "deleting", "state", "expected"),
    [
        (5, False, None, True),
        (5, True, None, True),
        (6, False, GuardState(5, False), True),
        (4, False, GuardState(5, False), False),
        (5, False, GuardState(5, False), True),  # redelivery of the same version re-applies
        (5, False, GuardState(5, True), False),  # a same-version upsert never resurrects
        (5, True, GuardState(5, False), True),  # deletes win ties
        (5, True, GuardState(5, True), True),
        (4, True, GuardState(5, False), False),
        (6, False, GuardState(5, True), True),  # a newer upsert (re-created issue) passes
    ],
)
def test_supersedes(version: int, deleting: bool, state: GuardState | None, expected: bool) -> None:
    assert supersedes(version, deleting=deleting, state=state) is expected


def test_item_layout_and_ttl(guard: VersionGuard, ddb: Any) -> None:
    assert guard.record(BP, "TES-1", 100, deleted=True)
    item = ddb.get_item(TableName=TABLE, Key={"pk": {"S": "entity#jiraIssue#TES-1"}, "sk": {"S": "version"}})[
        "Item"
    ]
    assert item["version"] == {"N": "100"}
    assert item["deleted"] == {"BOOL": True}
    assert int(item["expiresAt"]["N"]) == 1_700_000_000 + 30 * 86_400
    assert guard.current(BP, "TES-1") == GuardState(100, True)
    assert guard.current(BP, "TES-2") is None


def test_record_is_conditional(guard: VersionGuard) -> None:
    assert guard.record(BP, "A-1", 10, deleted=False)
    assert guard.record(BP, "A-1", 10, deleted=False)  # same version again: idempotent
    assert not guard.record(BP, "A-1", 9, deleted=False)  # older: refused
    assert guard.record(BP, "A-1", 10, deleted=True)  # delete wins the tie
    assert not guard.record(BP, "A-1", 10, deleted=False)  # and is never undone at that version
    assert guard.current(BP, "A-1") == GuardState(10, True)
    assert guard.record(BP, "A-1", 11, deleted=False)
    assert guard.current(BP, "A-1") == GuardState(11, False)


def test_failed_port_write_is_retried_at_the_same_version(guard: VersionGuard) -> None:
    # Given v1 applied, then v2 admitted but its Port write failed (so not recorded)
    assert guard.admits(BP, "A-1", 1, deleting=False)
    guard.record(BP, "A-1", 1, deleted=False)
    assert guard.admits(BP, "A-1", 2, deleting=False)
    # When a duplicate of v1 arrives before the retry of v2
    assert guard.admits(BP, "A-1", 1, deleting=False)  # same as recorded: harmless re-apply
    # Then the redelivered v2 still passes and records
    assert guard.admits(BP, "A-1", 2, deleting=False)
    assert guard.record(BP, "A-1", 2, deleted=False)
    assert not guard.admits(BP, "A-1", 1, deleting=False)


def test_redelivery_after_a_lost_sqs_delete_reapplies(guard: VersionGuard) -> None:
    # Port write and guard record succeeded but the message came back (e.g. the delete was lost)
    guard.record(BP, "A-1", 7, deleted=False)
    assert guard.admits(BP, "A-1", 7, deleting=False)
    guard.record(BP, "A-1", 8, deleted=True)
    assert guard.admits(BP, "A-1", 8, deleting=True)


def test_late_update_never_resurrects_a_deleted_entity(guard: VersionGuard) -> None:
    guard.record(BP, "A-1", 20, deleted=True)
    assert not guard.admits(BP, "A-1", 19, deleting=False)
    assert not guard.admits(BP, "A-1", 20, deleting=False)
    assert not guard.record(BP, "A-1", 19, deleted=False)


def test_concurrent_writer_race_is_reported(guard: VersionGuard) -> None:
    # Both writers read "nothing recorded"; the newer one records first.
    assert guard.admits(BP, "A-1", 5, deleting=False)
    assert guard.admits(BP, "A-1", 6, deleting=False)
    assert guard.record(BP, "A-1", 6, deleted=False)
    assert not guard.record(BP, "A-1", 5, deleted=False)
    assert guard.current(BP, "A-1") == GuardState(6, False)


def test_newer_entries_batches_dedupes_and_honours_tombstone_ties(guard: VersionGuard) -> None:
    # Given 250 entities recorded at versions 0..249, every tenth a tombstone
    for i in range(250):
        guard.record(BP, f"K-{i}", i, deleted=i % 10 == 0)
    keys = [(BP, f"K-{i}") for i in range(250)] + [(BP, "K-5"), (BP, "never-seen"), ("jiraProject", "K-1")]
    # When the backfill read them all at version 120
    newer = guard.newer_entries(keys, 120)
    # Then the entities changed after 120, and the tombstone at exactly 120, are reported
    assert newer == {(BP, f"K-{i}") for i in range(121, 250)} | {(BP, "K-120")}
    assert guard.newer_entries([], 0) == set()


def test_newer_entries_handles_identifiers_with_hashes(guard: VersionGuard) -> None:
    guard.record(BP, "odd#id#1", 10, deleted=False)
    assert guard.newer_entries([(BP, "odd#id#1")], 5) == {(BP, "odd#id#1")}
    assert entity_pk(BP, "odd#id#1") == "entity#jiraIssue#odd#id#1"


class ThrottlingClient:
    """Returns part of every BatchGetItem as unprocessed, ``throttle`` times in a row."""

    def __init__(self, real: Any, throttle: int) -> None:
        self.real = real
        self.throttle = throttle
        self.calls = 0

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self.calls += 1
        request = RequestItems[TABLE]
        if self.calls <= self.throttle:
            return {"Responses": {TABLE: []}, "UnprocessedKeys": {TABLE: request}}
        result: dict[str, Any] = self.real.batch_get_item(RequestItems=RequestItems)
        return result


def test_unprocessed_keys_are_retried_then_reported(ddb: Any) -> None:
    seed = VersionGuard(ddb, TABLE)
    seed.record(BP, "A-1", 10, deleted=False)
    slept: list[float] = []
    flaky = ThrottlingClient(ddb, throttle=2)
    guard = VersionGuard(cast(Any, flaky), TABLE, sleep=slept.append)
    assert guard.newer_entries([(BP, "A-1")], 5) == {(BP, "A-1")}
    assert flaky.calls == 3 and len(slept) == 2
    hopeless = VersionGuard(cast(Any, ThrottlingClient(ddb, throttle=100)), TABLE, sleep=lambda s: None)
    with pytest.raises(GuardUnavailableError):
        hopeless.newer_entries([(BP, "A-1")], 5)
