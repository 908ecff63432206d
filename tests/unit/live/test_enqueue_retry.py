"""Data Center never retries a webhook: a transient enqueue failure is retried in-process first."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from jira_port.live.queue import Envelope
from jira_port.live.receive import EnqueueError, Enqueuer


class FlakySqs:
    """``send_message`` fails ``failures`` times with a throttling error, then succeeds."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[dict[str, Any]] = []

    def send_message(self, **request: Any) -> dict[str, str]:
        self.calls.append(request)
        if len(self.calls) <= self.failures:
            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "SendMessage"
            )
        return {"MessageId": "m-1"}

    def close(self) -> None:
        pass


def _envelope() -> Envelope:
    return Envelope.for_body(
        b"{}", dedupe_id="d-1", group_id="issue:1", received_at_ms=1, headers={}, query={}
    )


def test_a_transient_failure_is_retried_with_the_same_deduplication_id() -> None:
    sqs, waits = FlakySqs(failures=2), list[float]()
    enqueuer = Enqueuer(sqs, "q", payloads=None, max_message_bytes=1000, sleep=waits.append)  # type: ignore[arg-type]
    assert enqueuer.enqueue(_envelope(), request_id="r").message_id == "m-1"
    assert waits == [0.2, 0.8] and len(sqs.calls) == 3
    assert {c["MessageDeduplicationId"] for c in sqs.calls} == {"d-1"}  # FIFO keeps one copy


def test_a_lasting_failure_still_answers_with_an_error() -> None:
    sqs, waits = FlakySqs(failures=10), list[float]()
    enqueuer = Enqueuer(sqs, "q", payloads=None, max_message_bytes=1000, sleep=waits.append)  # type: ignore[arg-type]
    with pytest.raises(EnqueueError, match="ThrottlingException"):
        enqueuer.enqueue(_envelope(), request_id="r")
    assert len(sqs.calls) == 3
