"""A runaway mapping expression fails its own event only: the sync handler and the webhook handler."""

from __future__ import annotations

import json
import logging
from types import ModuleType
from typing import Any

import pytest

from jira_port_emulators.port import PortEmulator
from jira_port_tools.serve.sqs_poller import SqsPoller
from tests.integration.live.conftest import Deliver
from tests.integration.live.resources import LiveResources
from tests.integration.live.webhooks import webhook_event

RUNAWAYS = {
    # a field that never returns for one issue
    "field": {
        "filter": '.body.webhookEvent == "jira:issue_updated"',
        "status": 'if .body.issue.key == "RUN-1" then (def f: f; f) else .body.issue.fields.status.name end',
    },
    # a filter that exhausts memory for one issue
    "filter": {
        "filter": 'if .body.issue.key == "RUN-1" then ([range(1e12)] | length > 0) '
        'else .body.webhookEvent == "jira:issue_updated" end',
        "status": ".body.issue.fields.status.name",
    },
}


def _mapping(kind: str) -> str:
    runaway = RUNAWAYS[kind]
    return json.dumps(
        [
            {
                "blueprint": "jiraIssue",
                "filter": runaway["filter"],
                "entity": {
                    "identifier": ".body.issue.key",
                    "title": ".body.issue.fields.summary",
                    "properties": {"status": runaway["status"]},
                },
            }
        ]
    )


def _issue(key: str, issue_id: int) -> dict[str, Any]:
    return {
        "timestamp": 1_700_000_000_000 + issue_id,
        "webhookEvent": "jira:issue_updated",
        "issue": {
            "id": str(issue_id),
            "key": key,
            "fields": {
                "summary": f"summary {key}",
                "status": {"name": "Open"},
                "updated": "2023-11-14T22:13:20.000+0000",
            },
        },
    }


@pytest.fixture(params=sorted(RUNAWAYS))
def runaway_mapping(base_env: None, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MAPPING_CONFIG", _mapping(request.param))
    monkeypatch.setenv("MAPPING_TIMEOUT_SECONDS", "0.5")
    monkeypatch.setenv("MAPPING_MEMORY_MB", "128")
    return str(request.param)


@pytest.fixture
def runaway_env(runaway_mapping: str, aws: LiveResources) -> str:
    # The mapping is checked at load on the bundled samples (which never name RUN-1).
    return runaway_mapping


def test_one_runaway_message_fails_alone_among_nine_good_ones(
    runaway_env: str,
    *,
    webhook: ModuleType,
    sync: ModuleType,
    port: PortEmulator,
    aws: LiveResources,
    log_records: list[logging.LogRecord],
) -> None:
    # Given ten deliveries of ten issues (ten FIFO groups), one of which makes the mapping run away
    deliver = Deliver(webhook)
    keys = [f"OK-{n}" for n in range(1, 10)]
    keys.insert(4, "RUN-1")
    for n, key in enumerate(keys, start=1):
        status, _ = deliver(webhook_event(_issue(key, 100 + n)))
        assert status == 202  # the relevance check is bounded too: past it, the event is kept
    # When the sync handler gets them in one batch of ten, and the failed one is retried (3 receives)
    poller = SqsPoller(aws.sqs, aws.queue_url, sync.lambda_handler, visibility_timeout=30)
    assert poller.poll_once() == 10
    stats = poller.run_until_empty(timeout=60)
    # Then the nine were applied at once, and the runaway was retried and then dead-lettered
    assert set(port.entities("jiraIssue")) == set(keys) - {"RUN-1"}
    assert stats.failed == 3
    assert aws.depth() == 0 and aws.depth(aws.dlq_url) == 1
    # and the reason names the rule and the field
    reasons = [r.getMessage() for r in log_records if r.getMessage().startswith("mapping bound exceeded")]
    assert len(reasons) == 3
    field = "entity.properties.status" if runaway_env == "field" else "filter"
    assert f"rule 0 (jiraIssue), {field} (" in reasons[0]
