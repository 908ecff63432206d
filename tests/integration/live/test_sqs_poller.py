"""The local event source mapping's loop: it long-polls an idle queue and never spins on blocked groups."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import pytest

from jira_port_tools.serve.sqs_poller import SqsPoller
from tests.integration.live.resources import LiveResources


@dataclass
class Receive:
    """One ``ReceiveMessage`` call: its ``WaitTimeSeconds`` and how many messages it returned."""

    wait: int
    received: int


@dataclass
class RecordingSqs:
    """Passes calls to the real (moto) client and records every receive; ``long_poll`` is set when a
    receive with a wait starts, ``after(n)`` once ``n`` more receives have returned."""

    sqs: Any
    receives: list[Receive] = field(default_factory=list)
    long_poll: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _waiters: list[tuple[int, threading.Event]] = field(default_factory=list)

    def receive_message(self, **kwargs: Any) -> Any:
        wait = int(kwargs.get("WaitTimeSeconds", 0))
        if wait:
            self.long_poll.set()
        response = self.sqs.receive_message(**kwargs)
        with self._lock:
            self.receives.append(Receive(wait, len(response.get("Messages", []))))
            for target, event in self._waiters:
                if len(self.receives) >= target:
                    event.set()
        return response

    def after(self, count: int) -> threading.Event:
        event = threading.Event()
        with self._lock:
            self._waiters.append((len(self.receives) + count, event))
        return event

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sqs, name)


@dataclass
class Handler:
    """A sync handler that fails the messages whose body is in ``fail`` and records the rest."""

    fail: set[str] = field(default_factory=set)
    seen: list[str] = field(default_factory=list)

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        failures = []
        for record in event["Records"]:
            self.seen.append(record["body"])
            if record["body"] in self.fail:
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}


def send(aws: LiveResources, body: str, group: str) -> None:
    aws.sqs.send_message(
        QueueUrl=aws.queue_url, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=body
    )


@pytest.fixture
def recording(aws: LiveResources) -> RecordingSqs:
    return RecordingSqs(aws.sqs)


def test_an_idle_queue_is_long_polled_so_a_delivery_is_picked_up_when_it_arrives(
    aws: LiveResources, recording: RecordingSqs
) -> None:
    # Given the background poller on an empty queue
    handler = Handler()
    poller = SqsPoller(recording, aws.queue_url, handler)  # type: ignore[arg-type]
    poller.start(wait_seconds=1)
    try:
        # When it waits for work, it waits inside a long poll (not in a sleep between short polls)
        assert recording.long_poll.wait(timeout=30), "the idle poller never long-polled"
        # And a message sent meanwhile is handled
        send(aws, "m1", "issue:1")
        assert poller.wait_for_batches(1, timeout=30)
    finally:
        poller.stop()
    assert handler.seen == ["m1"]
    # Then no receive on the idle queue was a short poll that came back empty
    assert [r for r in recording.receives if r.received == 0 and r.wait == 0] == []


def test_messages_behind_a_backing_off_group_are_not_long_polled(
    aws: LiveResources, recording: RecordingSqs
) -> None:
    # Given a message of group g that failed and is invisible for 60 s (its group stays in flight)
    handler = Handler(fail={"first"})
    poller = SqsPoller(recording, aws.queue_url, handler, retry_delay=lambda count: 60)  # type: ignore[arg-type]
    poller.start(wait_seconds=1)
    try:
        send(aws, "first", "issue:1")
        assert poller.wait_for_batches(1, timeout=30)
        # And a second message of g, visible but not receivable until the first one is done
        done = recording.after(4)
        send(aws, "second", "issue:1")
        mark = len(recording.receives)
        # When the poller keeps looking for work
        assert done.wait(timeout=30)
    finally:
        poller.stop()
    # Then it short-polls (moto would spin a long poll on the blocked message) and receives nothing
    blocked = recording.receives[mark + 1 :]
    assert blocked and all(r.wait == 0 and r.received == 0 for r in blocked)
    assert handler.seen == ["first"]


def test_start_rejects_waits_sqs_does_not_allow(aws: LiveResources) -> None:
    poller = SqsPoller(aws.sqs, aws.queue_url, Handler())
    for wait in (0, 21):
        with pytest.raises(ValueError, match="between 1 and 20"):
            poller.start(wait_seconds=wait)
