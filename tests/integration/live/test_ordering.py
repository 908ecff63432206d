"""Nothing lost, nothing stale: duplicated, shuffled deliveries with Port faults end in the right state;
deletions stick; poison events end in the DLQ with their reason logged."""

from __future__ import annotations

import json
import logging
import random
from types import ModuleType

import pytest
import yaml

from jira_port.mapping import bundled_mapping_text
from jira_port_emulators.port import PortEmulator, PortFaults
from jira_port_tools.serve.sqs_poller import SqsPoller
from tests.integration.live.conftest import Deliver
from tests.integration.live.resources import LiveResources
from tests.integration.live.streams import BASE_MS, POISON_RULE, build_stream, issue_deleted, issue_update
from tests.integration.live.webhooks import webhook_event
from tests.support.fixtures import load_fixture


@pytest.mark.parametrize("aws", [10], indirect=True)  # maxReceiveCount: faults must not dead-letter
def test_shuffled_triplicated_stream_with_port_faults_converges(
    aws: LiveResources, deliver: Deliver, poller: SqsPoller, port: PortEmulator, sync: ModuleType
) -> None:
    # Given 12 issues x 5 updates (a quarter then deleted) and 5 project renames, each delivered three
    # times, all shuffled, and Port failing 10% of requests (5% 5xx, 5% 429) with a single client retry
    events, expected = build_stream(issues=12, updates=5)
    deliveries = [(ident, body) for ident, body in events for _ in range(3)]
    rng = random.Random(20261123)
    rng.shuffle(deliveries)
    port.faults = PortFaults(error_rate=0.05, throttle_rate=0.05, retry_after=0.0, seed=7)

    # When every delivery goes through the webhook while the sync side polls now and then
    for ident, body in deliveries:
        status, _ = deliver(webhook_event(body, identifier=ident))
        assert status == 202
        if rng.random() < 0.3:
            poller.poll_once()
    stats = poller.run_until_empty(timeout=120)
    port.faults = PortFaults()

    # Then Port holds exactly the last state of every entity, and nothing was lost or dead-lettered
    issues = port.entities("jiraIssue")
    for key, state in expected.items():
        if key.startswith("project:"):
            continue
        if state is None:
            assert key not in issues, f"{key} was deleted last but exists"
        else:
            assert issues[key]["properties"]["summary"] == state["summary"], key
            assert issues[key]["properties"]["status"] == state["status"], key
    assert {k for k, v in expected.items() if v and not k.startswith("project:")} == set(issues)
    assert port.entities("jiraProject")["TES"]["title"] == expected["project:TES"]
    assert aws.depth() == 0 and aws.depth(aws.dlq_url) == 0
    # And the faults really exercised SQS redelivery
    faulted = [r for r in port.requests if r.status in (429, 500, 503)]
    assert faulted and stats.failed > 0


def test_deleted_issue_stays_deleted_when_an_older_update_arrives_late(
    deliver: Deliver, poller: SqsPoller, port: PortEmulator, log_records: list[logging.LogRecord]
) -> None:
    # Given an issue updated (v1) and then deleted
    deliver(webhook_event(issue_update(1, 1, BASE_MS + 1_000), identifier="u1"))
    deliver(webhook_event(issue_deleted(1, BASE_MS + 3_000), identifier="del"))
    poller.run_until_empty()
    assert "TES-101" not in port.entities("jiraIssue")
    # When an update made before the deletion is delivered late (Jira retries 5-15 minutes apart)
    assert deliver(webhook_event(issue_update(1, 2, BASE_MS + 2_000), identifier="u2"))[0] == 202
    poller.run_until_empty()
    # Then the issue stays deleted, and the skip is logged
    assert "TES-101" not in port.entities("jiraIssue")
    assert any(r.getMessage().startswith("stale action skipped") for r in log_records)
    # And a retry of the deletion itself is harmless
    deliver(webhook_event(issue_deleted(1, BASE_MS + 3_000), identifier="del"))
    poller.run_until_empty()
    assert "TES-101" not in port.entities("jiraIssue")


def test_older_update_never_overwrites_a_newer_one(
    deliver: Deliver, poller: SqsPoller, port: PortEmulator
) -> None:
    deliver(webhook_event(issue_update(2, 3, BASE_MS + 3_000), identifier="u3"))
    poller.run_until_empty()
    deliver(webhook_event(issue_update(2, 1, BASE_MS + 1_000), identifier="u1"))
    poller.run_until_empty()
    assert port.entities("jiraIssue")["TES-102"]["properties"]["summary"] == "TES-102 v3"


@pytest.fixture
def poisoned_mapping(base_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bundled mapping plus a rule that writes a property the blueprint does not define for TES-41."""
    config = [*yaml.safe_load(bundled_mapping_text("default")), POISON_RULE]
    monkeypatch.setenv("MAPPING_CONFIG", json.dumps(config))


@pytest.mark.usefixtures("poisoned_mapping")
def test_permanent_port_error_lands_in_the_dlq_with_its_reason_logged(
    aws: LiveResources,
    deliver: Deliver,
    poller: SqsPoller,
    port: PortEmulator,
    log_records: list[logging.LogRecord],
) -> None:
    # Given a mapping that makes Port answer 422 for TES-41 (see poisoned_mapping)
    poisoned = load_fixture("jira-webhooks/webhook-issue-updated-assigned.json")  # TES-41
    healthy = load_fixture("jira-webhooks/webhook-cloud-issue-created-many-fields.json")  # KT-22
    # When both are delivered and the queue is processed
    assert deliver(webhook_event(poisoned, identifier="poison-1"))[0] == 202
    assert deliver(webhook_event(healthy, identifier="healthy-1"))[0] == 202
    stats = poller.run_until_empty()
    # Then the healthy event is in Port, the poisoned one went to the DLQ after maxReceiveCount (3)
    assert "KT-22" in port.entities("jiraIssue") and "TES-41" not in port.entities("jiraIssue")
    assert aws.depth() == 0
    (dead,) = aws.queued(aws.dlq_url)
    assert dead["id"] == "poison-1" and dead["group"] == "issue:10040"
    assert stats.failed == 3
    # And every attempt logged the reason as one structured line
    reasons = [r for r in log_records if r.getMessage() == "Port rejected an entity"]
    assert len(reasons) == 3
    failure = reasons[-1].failure  # type: ignore[attr-defined]
    assert (failure["status"], failure["identifier"], failure["transient"]) == (422, "TES-41", False)
    assert "notInBlueprint" in failure["message"]
    assert [r.receive_count for r in reasons] == [1, 2, 3]  # type: ignore[attr-defined]
