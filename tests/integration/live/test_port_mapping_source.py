"""Live events mapped with the mapping of a Port webhook data source (``MAPPING_SOURCE=port:jira_mapper``).

The real webhook and sync handlers, moto, and the Port emulator holding the webhook data source; edits
are PATCHed over HTTP as Port's UI saves them.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from jira_port.live.runtime import close_all
from jira_port_emulators.port import PortEmulator
from jira_port_tools.serve.sqs_poller import SqsPoller
from tests.integration.live.conftest import Deliver
from tests.integration.live.resources import LiveResources
from tests.integration.live.webhooks import webhook_event
from tests.support.fixtures import load_fixture
from tests.support.lambda_env import reload_handler
from tests.support.port_emulator import jira_mapper, patch_webhook

REFRESH_SECONDS = 0.3


@pytest.fixture
def mappings(aws: LiveResources, port: PortEmulator, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The bundled default mapping, held by Port as the webhook data source ``jira_mapper``."""
    source = jira_mapper()
    port.add_webhook(source)
    monkeypatch.setenv("MAPPING_SOURCE", "port:jira_mapper")
    monkeypatch.setenv("MAPPING_REFRESH_SECONDS", str(REFRESH_SECONDS))
    rules: list[dict[str, Any]] = source["mappings"]
    return rules


@pytest.fixture
def live(
    mappings: list[dict[str, Any]], aws: LiveResources, port: PortEmulator
) -> Iterator[tuple[Deliver, Any]]:
    """The webhook and sync functions, cold-started with the Port source configured."""
    webhook: ModuleType = reload_handler("webhook")
    sync: Any = reload_handler("sync")
    yield Deliver(webhook), SqsPoller(aws.sqs, aws.queue_url, sync.lambda_handler, visibility_timeout=30)
    close_all()  # the clients (and the mapping's Port reader) the handlers built


def _issue_updated(summary: str, timestamp: int) -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(load_fixture("jira-webhooks/webhook-issue-updated-labels.json"))
    body["issue"]["fields"]["summary"] = summary
    body["timestamp"] = timestamp
    return body


def _deliver_and_sync(live: tuple[Deliver, Any], body: dict[str, Any]) -> None:
    deliver, poller = live
    status, answer = deliver(webhook_event(body, identifier=f"delivery-{body['timestamp']}"))
    assert status == 202, answer
    poller.run_until_empty()


def _title_rule(rules: list[dict[str, Any]], title: str) -> list[dict[str, Any]]:
    edited = copy.deepcopy(rules)
    edited[0]["entity"]["title"] = title
    return edited


def test_live_events_map_with_the_mapping_held_by_port(live: tuple[Deliver, Any], port: PortEmulator) -> None:
    body = _issue_updated("Held by Port", 1_700_000_000_000)
    _deliver_and_sync(live, body)
    entity = port.entities("jiraIssue")[body["issue"]["key"]]
    assert entity["title"] == "Held by Port"
    assert any(r.path == "/v1/webhooks/jira_mapper" and r.status == 200 for r in port.requests)


def test_a_patch_in_port_reaches_live_events_within_the_refresh_interval(
    live: tuple[Deliver, Any], port: PortEmulator, mappings: list[dict[str, Any]]
) -> None:
    key = _issue_updated("x", 0)["issue"]["key"]
    _deliver_and_sync(live, _issue_updated("Before", 1_700_000_000_000))
    assert port.entities("jiraIssue")[key]["title"] == "Before"
    # When the mapping is edited in Port
    patch_webhook(
        port, "jira_mapper", {"mappings": _title_rule(mappings, '"edited: " + .body.issue.fields.summary')}
    )
    edited_at = time.monotonic()
    # Then a delivery once MAPPING_REFRESH_SECONDS have passed is mapped with the edit
    time.sleep(REFRESH_SECONDS)
    _deliver_and_sync(live, _issue_updated("After", 1_700_000_000_001))
    assert port.entities("jiraIssue")[key]["title"] == "edited: After"
    assert time.monotonic() - edited_at < REFRESH_SECONDS + 5


def test_a_broken_patch_keeps_the_last_good_mapping_and_raises_the_metric(
    live: tuple[Deliver, Any],
    port: PortEmulator,
    mappings: list[dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = _issue_updated("x", 0)["issue"]["key"]
    _deliver_and_sync(live, _issue_updated("Before", 1_700_000_000_000))
    # When the mapping is broken in Port (a jq function that does not exist)
    patch_webhook(
        port, "jira_mapper", {"mappings": _title_rule(mappings, ".body.issue.fields.summary | nosuchfn")}
    )
    time.sleep(REFRESH_SECONDS)
    capsys.readouterr()
    _deliver_and_sync(live, _issue_updated("Still mapped", 1_700_000_000_001))
    # Then the last good mapping keeps working
    assert port.entities("jiraIssue")[key]["title"] == "Still mapped"
    # And the functions emitted MappingReloadFailed (Powertools EMF on stdout)
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    failed = [blob for blob in emitted if "MappingReloadFailed" in blob]
    assert failed and all(blob["MappingReloadFailed"] in (1.0, [1.0]) for blob in failed)


def test_a_cold_start_without_a_readable_mapping_answers_5xx_and_queues_nothing(
    aws: LiveResources, port: PortEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given credentials without the moderator/admin role, so the webhook data source cannot be read
    port.add_webhook(jira_mapper())
    port.add_credentials("member-id", "member-secret", role="member")
    monkeypatch.setenv("PORT_CLIENT_ID", "member-id")
    monkeypatch.setenv("PORT_CLIENT_SECRET", "member-secret")
    monkeypatch.setenv("MAPPING_SOURCE", "port:jira_mapper")
    deliver = Deliver(reload_handler("webhook"))
    # When Jira delivers, Then the delivery is refused with a 5xx (Jira retries it) and nothing is queued
    status, answer = deliver(webhook_event(_issue_updated("x", 1), identifier="d-1"))
    assert status == 500 and answer == {"message": "webhook receiver is misconfigured"}
    assert aws.queued() == []
