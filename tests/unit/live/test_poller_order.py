"""The local poller keeps a message group's order even when the queue hands out a later message of a group
whose earlier message failed (SQS FIFO blocks the group; a stand-in queue may not)."""

from __future__ import annotations

import json
from typing import Any

from jira_port_tools.serve.sqs_poller import SqsPoller


def _message(group: str, sequence: int, receives: int = 1) -> dict[str, Any]:
    return {
        "MessageId": f"{group}-{sequence}",
        "ReceiptHandle": f"rh-{group}-{sequence}-{receives}",
        "Body": "{}",
        "MD5OfBody": "",
        "Attributes": {
            "MessageGroupId": group,
            "SequenceNumber": str(sequence),
            "ApproximateReceiveCount": str(receives),
            "SentTimestamp": "1",
            "ApproximateFirstReceiveTimestamp": "1",
            "SenderId": "x",
            "MessageDeduplicationId": f"{group}-{sequence}",
        },
    }


class ScriptedQueue:
    """Hands out scripted batches, whatever the group state (a queue that does not keep FIFO order)."""

    def __init__(self, batches: list[list[dict[str, Any]]], max_receives: int = 3) -> None:
        self.batches = batches
        self.max_receives = max_receives
        self.deleted: list[str] = []
        self.visibility: list[tuple[str, int]] = []

    def get_queue_attributes(self, **_: Any) -> dict[str, Any]:
        redrive = json.dumps(
            {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:1:dlq.fifo", "maxReceiveCount": 3}
        )
        return {"Attributes": {"QueueArn": "arn:aws:sqs:us-east-1:1:q.fifo", "RedrivePolicy": redrive}}

    def receive_message(self, **_: Any) -> dict[str, Any]:
        return {"Messages": self.batches.pop(0) if self.batches else []}

    def delete_message_batch(self, Entries: list[dict[str, str]], **_: Any) -> None:
        self.deleted += [e["ReceiptHandle"].split("-")[2] for e in Entries]

    def change_message_visibility(self, ReceiptHandle: str, VisibilityTimeout: int, **_: Any) -> None:
        self.visibility.append((ReceiptHandle, VisibilityTimeout))


def test_a_later_message_of_a_failed_group_waits_for_the_failed_one() -> None:
    seen: list[list[str]] = []
    failing = {"A-1"}

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        ids = [r["messageId"] for r in event["Records"]]
        seen.append(ids)
        return {"batchItemFailures": [{"itemIdentifier": i} for i in ids if i in failing]}

    queue = ScriptedQueue(
        [
            [_message("A", 1), _message("B", 1)],  # A-1 fails
            [_message("A", 2), _message("B", 2)],  # the queue hands out A-2 before A-1's retry
            [_message("A", 1, receives=2), _message("A", 2, receives=2)],  # A-1 retried, then A-2
        ]
    )
    poller = SqsPoller(queue, "https://sqs/q.fifo", handler)  # type: ignore[arg-type]
    for _ in range(3):
        poller.poll_once()
        failing.clear()
    assert seen == [["A-1", "B-1"], ["B-2"], ["A-1", "A-2"]]
    assert ("rh-A-2-1", 60) in queue.visibility  # returned to the queue, not handled


def test_a_failed_message_on_its_last_receive_releases_its_group() -> None:
    seen: list[list[str]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        ids = [r["messageId"] for r in event["Records"]]
        seen.append(ids)
        return {"batchItemFailures": [{"itemIdentifier": i} for i in ids if i == "A-1"]}

    queue = ScriptedQueue([[_message("A", 1, receives=3)], [_message("A", 2)]])
    poller = SqsPoller(queue, "https://sqs/q.fifo", handler)  # type: ignore[arg-type]
    poller.poll_once()
    poller.poll_once()
    assert seen == [["A-1"], ["A-2"]]  # A-1 goes to the DLQ; A-2 is not held back forever
