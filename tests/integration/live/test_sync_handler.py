"""The real sync handler on SQS events: canned batches, partial failures by message group, Port state."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

from jira_port_emulators.port import PortEmulator
from jira_port_tools.serve.sqs_poller import SqsPoller
from tests.integration.live.conftest import Deliver
from tests.integration.live.resources import LiveResources
from tests.support.events import load_event
from tests.support.lambda_env import FakeLambdaContext


def test_canned_sqs_batch_lands_in_port(sync: ModuleType, port: PortEmulator) -> None:
    # Given the canned batch: project created, two issue events, a Server issue, an issue deletion
    event = load_event("sqs-sync-batch")
    # When the sync function handles it
    response = sync.lambda_handler(event, FakeLambdaContext(function_name="jira-port-sync"))
    # Then nothing failed and Port holds the mapped entities
    assert response == {"batchItemFailures": []}
    issues = port.entities("jiraIssue")
    assert {"KT-22", "TES-41", "TES-4"} <= set(issues)
    assert "IDT-19" not in issues
    assert issues["TES-41"]["properties"]["url"] == "https://acme.atlassian.net/browse/TES-41"
    assert port.entities("jiraProject")["TES"]["title"] == "test1"


def test_a_failing_message_fails_the_rest_of_its_group_only(sync: ModuleType, port: PortEmulator) -> None:
    # Given a batch whose first issue message is poisoned (not an envelope), followed by a message of
    # the same group and messages of other groups
    event = load_event("sqs-sync-batch")
    records = event["Records"]
    by_group: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_group.setdefault(record["attributes"]["MessageGroupId"], []).append(record)
    (poisoned_group,) = [g for g, rs in by_group.items() if len(rs) == 2]
    first, second = by_group[poisoned_group]
    first["body"] = "not an envelope"
    # When the sync function handles it
    response = sync.lambda_handler(event, FakeLambdaContext())
    # Then the poisoned message and its successor are reported; the other groups were applied
    failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
    assert failed == {first["messageId"], second["messageId"]}
    assert {"KT-22", "TES-4"} <= set(port.entities("jiraIssue"))


def test_whole_batch_failure_is_a_function_error(sync: ModuleType, monkeypatch: Any) -> None:
    import pytest

    from jira_port.live.process import BatchFailedError

    event = load_event("sqs-sync-batch")
    for record in event["Records"]:
        record["body"] = json.dumps({"v": 99})
    with pytest.raises(BatchFailedError):
        sync.lambda_handler(event, FakeLambdaContext())


def test_webhook_to_port_through_the_queue(
    deliver: Deliver, poller: SqsPoller, port: PortEmulator, aws: LiveResources
) -> None:
    for name in (
        "webhook-project-created",
        "webhook-issue-created",
        "webhook-issue-updated",
        "webhook-issue-deleted",
    ):
        assert deliver(load_event(name))[0] == 202
    stats = poller.run_until_empty()
    assert stats.failed == 0 and stats.deleted == 4
    assert set(port.entities("jiraIssue")) == {"KT-22", "TES-41"}
    assert aws.depth() == 0 and aws.depth(aws.dlq_url) == 0
