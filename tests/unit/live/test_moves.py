"""A moved issue on the live path: the entity under the old key goes away on the move event and a late
event about the old key never brings it back (real move events from the Jira emulator, real mapping)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from jira_port.live.guard import VersionGuard
from jira_port.live.process import LiveProcessor
from jira_port.live.queue import Envelope
from jira_port.mapping import load_mapping
from jira_port.port.apply import old_keys
from jira_port.state import DynamoTable, OwnershipLedger
from jira_port_emulators.jira import JiraEmulator, generate_dataset
from tests.integration.live.resources import TABLE
from tests.support.aws import create_state_table

from .test_process import FakePort


@pytest.fixture
def ddb(aws_env: None) -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb")
        create_state_table(client, TABLE)
        yield client


def _message(body: dict[str, Any], n: int) -> str:
    raw = json.dumps(body).encode()
    return Envelope.for_body(
        raw,
        dedupe_id=f"d{n}",
        group_id=f"issue:{body['issue']['id']}",
        received_at_ms=1,
        headers={},
        query={},
    ).to_json()


@pytest.mark.parametrize("flavour", ["cloud", "server"])
def test_the_old_key_is_deleted_on_the_move_and_never_resurrected(ddb: Any, flavour: str) -> None:
    port = FakePort()
    processor = LiveProcessor(
        mapping=load_mapping(),
        apply=port,
        guard=VersionGuard(ddb, TABLE),
        payloads=None,
        jira_base_url=None,
        ownership=OwnershipLedger(DynamoTable(TABLE, ddb)),
    )
    emu = JiraEmulator(generate_dataset(2, 20, flavour=flavour, seed=3))  # type: ignore[arg-type]
    a, b = sorted(p.key for p in emu.ds.projects.values())
    old = emu.ds.issue_key(emu.ds.issues[emu.ds.by_project[emu.ds.project_by_key(a).id][0]])  # type: ignore[union-attr]
    # Given the issue is in Port under its old key, and an edit event that will arrive late
    late = emu.update_issue(old, summary="edited before the move")
    assert late is not None
    processor.process(_message(late, 1))
    assert old in port.entities
    # When Jira moves it and sends jira:issue_updated with Key and project changelog items
    moved = emu.move_issue(old, b)
    new = moved["issue"]["key"]
    assert old_keys(moved) == [old]
    processor.process(_message(moved, 2))
    # Then the entity lives under the new key only
    assert new in port.entities and old not in port.entities
    # and the late event (an older update of the old key) does not resurrect it
    result = processor.process(_message(late, 3))
    assert result.stale >= 1 and old not in port.entities


def test_old_keys_reads_only_key_items_of_updates() -> None:
    item = {"field": "Key", "fromString": "A-1", "toString": "B-9"}
    assert old_keys({"webhookEvent": "jira:issue_updated", "changelog": {"items": [item]}}) == ["A-1"]
    cloud = {"field": "Key", "fieldId": "issuekey", "fromString": "A-1", "toString": "B-9"}
    assert old_keys({"webhookEvent": "jira:issue_updated", "changelog": {"items": [cloud, cloud]}}) == ["A-1"]
    assert old_keys({"webhookEvent": "jira:issue_created", "changelog": {"items": [item]}}) == []
    assert (
        old_keys({"webhookEvent": "jira:issue_updated", "changelog": {"items": [{"field": "summary"}]}}) == []
    )
    assert old_keys({"webhookEvent": "jira:issue_updated"}) == []
