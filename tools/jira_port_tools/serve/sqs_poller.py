"""A local stand-in for Lambda's SQS event source mapping (with ``ReportBatchItemFailures``).

It receives up to ``batch_size`` messages (SQS FIFO hands out a group's messages in order and holds the
group back while any of them is in flight), invokes the sync handler with an SQS event, deletes the
messages the handler did not report, and makes the reported ones visible again after ``retry_delay``
(Lambda waits for the queue's visibility timeout instead; a shorter delay keeps local runs quick). The
queue's redrive policy moves a message to the DLQ once it was received ``maxReceiveCount`` times. A
handler that raises fails the whole batch, like a function error.

Order within a message group is kept by the poller itself too: a message that failed holds its group
back, and a later message of that group received before the failed one was retried (a queue that does
not block the group, as SQS FIFO does) goes back to the queue for a visibility timeout without reaching
the handler. A failed message that has used up its receives no longer holds the group back: the queue
dead-letters it and the group moves on.

The background thread long-polls (``WaitTimeSeconds``), so a delivery is picked up as soon as it is
queued. One moto quirk shapes the loop: a long poll on a queue whose visible messages all belong to a
message group still in flight or backing off spins in moto until the wait ends, so while such blocked
messages exist the thread waits briefly between short polls instead.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jira_port.observability import logger
from jira_port_tools.serve.lambda_events import LocalLambdaContext, sqs_event

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.literals import QueueAttributeFilterType

SyncHandler = Callable[[dict[str, Any], Any], Any]
MAX_WAIT_SECONDS = 20  # SQS's limit for WaitTimeSeconds
BLOCKED_WAIT_SECONDS = 0.2
_DEPTH_ATTRIBUTES: list[QueueAttributeFilterType] = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
]


@dataclass(slots=True)
class PollStats:
    """Counters over the poller's life."""

    batches: int = 0
    received: int = 0
    deleted: int = 0
    failed: int = 0
    handler_errors: int = 0


class SqsPoller:
    """Feeds one queue to one handler, batch by batch; thread-safe ``poll_once``/``drain``."""

    def __init__(
        self,
        sqs: SQSClient,
        queue_url: str,
        handler: SyncHandler,
        *,
        batch_size: int = 10,
        visibility_timeout: int = 60,
        retry_delay: Callable[[int], int] = lambda receive_count: 0,
        function_name: str = "jira-port-sync",
    ) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._handler = handler
        self._batch_size = batch_size
        self._visibility_timeout = visibility_timeout
        self._retry_delay = retry_delay
        self._function_name = function_name
        attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn", "RedrivePolicy"])[
            "Attributes"
        ]
        self._queue_arn = attrs["QueueArn"]
        redrive = json.loads(attrs.get("RedrivePolicy") or "{}")
        self._max_receives = int(redrive.get("maxReceiveCount", 0)) or None
        # message group -> sequence number of its oldest message that failed and awaits its retry
        self._held: dict[str, int] = {}
        self._region = self._queue_arn.split(":")[3]
        self.stats = PollStats()
        self._invoke_lock = threading.Lock()
        self._idle = threading.Condition()
        self._busy = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll_once(self, wait_seconds: int = 0) -> int:
        """Receive one batch and run the handler on it; returns the number of messages received."""
        messages = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=self._batch_size,
            WaitTimeSeconds=wait_seconds,
            VisibilityTimeout=self._visibility_timeout,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        with self._idle:
            self._busy += 1
        try:
            self._invoke(messages)
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()
        return len(messages)

    def visible(self) -> int:
        """Messages ready to be received now, by SQS's approximate count (blocked FIFO groups included)."""
        attrs = self._sqs.get_queue_attributes(
            QueueUrl=self._queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )
        return int(attrs["Attributes"].get("ApproximateNumberOfMessages", "0"))

    def depth(self) -> int:
        """Messages visible, in flight or delayed (SQS's approximate counts)."""
        attrs = self._sqs.get_queue_attributes(
            QueueUrl=self._queue_url, AttributeNames=list(_DEPTH_ATTRIBUTES)
        )
        values: dict[str, str] = {str(k): v for k, v in attrs["Attributes"].items()}
        return sum(int(values.get(name, "0")) for name in _DEPTH_ATTRIBUTES)

    def run_until_empty(self, *, timeout: float = 60.0, idle_wait: float = 0.005) -> PollStats:
        """Poll in the calling thread until the queue is empty (for tests and one-shot runs)."""
        deadline = time.monotonic() + timeout
        while True:
            if self.poll_once() == 0 and self.depth() == 0:
                return self.stats
            if time.monotonic() > deadline:
                raise TimeoutError(f"queue not empty after {timeout} s ({self.depth()} messages left)")
            # Messages made visible again become receivable once their (millisecond) timer passes.
            self._stop.wait(idle_wait)

    def start(self, wait_seconds: int = 1) -> None:
        """Poll in a background thread until ``stop``, long-polling ``wait_seconds`` (1-20) at a time: a
        message is received as soon as it is sent, and ``stop`` returns within one wait."""
        if not 1 <= wait_seconds <= MAX_WAIT_SECONDS:
            raise ValueError(f"wait_seconds must be between 1 and {MAX_WAIT_SECONDS}")
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, args=(wait_seconds,), name="sqs-poller", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the background thread after its current receive or batch (at most one long-poll wait)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def drain(self, timeout: float = 60.0) -> None:
        """Wait until the queue is empty and no batch is running (the background thread processes).

        Received messages count as in flight until deleted, so an empty queue means every accepted
        delivery was synced or dead-lettered.
        """
        deadline = time.monotonic() + timeout
        with self._idle:
            while True:
                if self._busy == 0 and self.depth() == 0:
                    return
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"queue not drained after {timeout} s ({self.depth()} messages left)")
                self._idle.wait(min(left, 0.05))

    def wait_for_batches(self, count: int, timeout: float | None = None) -> bool:
        """Wait until ``count`` batches were handled in all; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._idle:
            while self.stats.batches < count:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._idle.wait(0.25 if left is None else min(left, 0.25))
        return True

    def _loop(self, wait_seconds: int) -> None:
        while not self._stop.is_set():
            try:
                if not self.visible():
                    self.poll_once(wait_seconds)  # returns as soon as a message is sent
                elif not self.poll_once():
                    self._stop.wait(BLOCKED_WAIT_SECONDS)  # only blocked messages: see the module docstring
            except Exception:
                logger.exception("local SQS poller failed; retrying")
                self._stop.wait(1.0)

    def _invoke(self, received: list[Any]) -> None:
        messages, early = self._in_group_order(received)
        for message in early:  # back after a visibility timeout (a retry's delay is never longer)
            self._sqs.change_message_visibility(
                QueueUrl=self._queue_url,
                ReceiptHandle=message["ReceiptHandle"],
                VisibilityTimeout=self._visibility_timeout,
            )
        if not messages:
            return
        event = sqs_event(messages, queue_arn=self._queue_arn, region=self._region)
        ids = {m["MessageId"] for m in messages}
        failed: set[str]
        with self._invoke_lock:
            self.stats.batches += 1
            self.stats.received += len(messages)
            try:
                response = self._handler(event, LocalLambdaContext(self._function_name, timeout_seconds=90))
                failed = {item["itemIdentifier"] for item in (response or {}).get("batchItemFailures", [])}
            except Exception as exc:
                self.stats.handler_errors += 1
                logger.warning("sync handler failed the whole batch", extra={"error": type(exc).__name__})
                failed = set(ids)
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            chunk = done[start : start + 10]
            self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)],
            )
        self._track_failures(messages, failed)
        for message in messages:
            if message["MessageId"] in failed:
                count = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
                self._sqs.change_message_visibility(
                    QueueUrl=self._queue_url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=self._retry_delay(count),
                )
        with self._invoke_lock:
            self.stats.deleted += len(done)
            self.stats.failed += len(failed & ids)

    def _in_group_order(self, messages: list[Any]) -> tuple[list[Any], list[Any]]:
        """The messages the handler may see now, and those that came before their group's failed one."""
        present = {(_group(m), _sequence(m)) for m in messages}
        ready, early = [], []
        for message in messages:
            held = self._held.get(_group(message))
            if held is not None and _sequence(message) > held and (_group(message), held) not in present:
                early.append(message)
            else:
                ready.append(message)
        if early:
            logger.warning(
                "messages received before their group's failed message; returned to the queue",
                extra={"count": len(early)},
            )
        return ready, early

    def _track_failures(self, messages: list[Any], failed: set[str]) -> None:
        for message in messages:
            group, sequence = _group(message), _sequence(message)
            if self._held.get(group) == sequence:
                del self._held[group]
            count = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
            going_to_dlq = self._max_receives is not None and count >= self._max_receives
            if message["MessageId"] in failed and not going_to_dlq and group:
                self._held[group] = min(self._held.get(group, sequence), sequence)


def _group(message: Any) -> str:
    return str(message.get("Attributes", {}).get("MessageGroupId", ""))


def _sequence(message: Any) -> int:
    return int(message.get("Attributes", {}).get("SequenceNumber", "0"))
