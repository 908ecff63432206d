"""``WebhookSender`` against a real local endpoint: Jira's retry rules, headers, duplicates, disorder."""

from __future__ import annotations

import pytest

from jira_port_emulators.jira import WebhookSender, sign
from tests.support.jira_emulator import WebhookReceiver

EVENT = {
    "timestamp": 1767225600123,
    "webhookEvent": "jira:issue_updated",
    "issue": {"id": "10042", "key": "OPS-7"},
}


def _sender(url: str, **options: object) -> WebhookSender:
    return WebhookSender(url, "s3cret", retry_delays=(0.0,), **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("status", [500, 502, 503, 429, 408, 409, 425])
def test_retries_transient_answers_with_the_same_identifier(status: int) -> None:
    with WebhookReceiver(statuses=[status, status]) as receiver:
        delivery = _sender(receiver.url).send(EVENT)
    assert delivery.delivered and [a.status for a in delivery.attempts] == [status, status, 200]
    ids = {r.headers["X-Atlassian-Webhook-Identifier"] for r in receiver.received}
    assert ids == {delivery.identifier}
    assert [r.headers.get("X-Atlassian-Webhook-Retry") for r in receiver.received] == [None, "1", "2"]
    assert all(r.headers["X-Hub-Signature"] == sign("s3cret", r.body) for r in receiver.received)
    assert receiver.received[0].body == delivery.body  # the same raw bytes on every attempt


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 413])
def test_never_retries_other_client_errors(status: int) -> None:
    with WebhookReceiver(statuses=[status]) as receiver:
        delivery = _sender(receiver.url).send(EVENT)
    assert not delivery.delivered and len(receiver.received) == 1


def test_gives_up_after_five_retries() -> None:
    with WebhookReceiver(statuses=[503] * 10) as receiver:
        delivery = _sender(receiver.url).send(EVENT)
    assert len(receiver.received) == 6 and not delivery.delivered
    assert receiver.received[-1].headers["X-Atlassian-Webhook-Retry"] == "5"


def test_connection_errors_are_retried_with_configured_delays() -> None:
    waits: list[float] = []
    sender = WebhookSender("http://127.0.0.1:9/closed", retry_delays=(1, 2, 3), sleep=waits.append, timeout=1)
    delivery = sender.send(EVENT)
    assert [a.status for a in delivery.attempts] == [None] * 6
    assert delivery.attempts[0].error == "NewConnectionError"
    assert waits == [1, 2, 3, 3, 3]


def test_unsigned_without_secret() -> None:
    with WebhookReceiver() as receiver:
        WebhookSender(receiver.url).send(EVENT)
    assert "X-Hub-Signature" not in receiver.received[0].headers
    assert receiver.received[0].headers["Content-Type"].startswith("application/json")


def test_duplicates_reuse_the_identifier() -> None:
    with WebhookReceiver() as receiver:
        sender = _sender(receiver.url, duplicate_rate=1.0)
        sender.send(EVENT)
    assert len(receiver.received) == 2
    first, second = (r.headers["X-Atlassian-Webhook-Identifier"] for r in receiver.received)
    assert first == second and [d.duplicate for d in sender.deliveries] == [False, True]


def _held_order(seed: int) -> list[int]:
    with WebhookReceiver() as receiver:
        sender = _sender(receiver.url, hold=True, seed=seed)
        for n in range(8):
            sender.emit({**EVENT, "timestamp": n})
        assert receiver.received == []
        sender.flush()
    return [r.json()["timestamp"] for r in receiver.received]


def test_held_events_arrive_shuffled_but_reproducibly() -> None:
    order = _held_order(5)
    assert sorted(order) == list(range(8)) and order != list(range(8))
    assert _held_order(5) == order


def test_background_mode_and_secondary_flow() -> None:
    with WebhookReceiver() as receiver:
        sender = _sender(receiver.url, background=True)
        sender.emit(EVENT, flow="Secondary")
        sender.drain()
        sender.close()
    assert receiver.received[0].headers["X-Atlassian-Webhook-Flow"] == "Secondary"


@pytest.mark.parametrize("status", [500, 503, 429])
def test_data_center_sends_no_identifier_and_never_retries(status: int) -> None:
    # Data Center documents no retry and no X-Atlassian-Webhook-Identifier: a 5xx loses the event
    with WebhookReceiver(statuses=[status]) as receiver:
        delivery = _sender(receiver.url, data_center=True, max_retries=5).send(EVENT)
    assert not delivery.delivered and len(receiver.received) == 1
    headers = receiver.received[0].headers
    assert "X-Atlassian-Webhook-Identifier" not in headers and "X-Atlassian-Webhook-Retry" not in headers
    assert headers["X-Hub-Signature"] == sign("s3cret", receiver.received[0].body)


def test_the_data_center_emulator_registers_data_center_senders() -> None:
    from jira_port_emulators.jira import JiraEmulator, generate_dataset

    with WebhookReceiver(statuses=[503]) as receiver:
        emu = JiraEmulator(generate_dataset(2, 10, flavour="server"))
        emu.registry.create(
            {"name": "x", "url": receiver.url, "events": ["jira:issue_updated"]}, user="a", now=0
        )
        key = emu.ds.issue_key(next(iter(emu.ds.issues.values())))
        emu.update_issue(key, summary="changed")
        emu.stop()
    assert len(receiver.received) == 1
    assert "X-Atlassian-Webhook-Identifier" not in receiver.received[0].headers
