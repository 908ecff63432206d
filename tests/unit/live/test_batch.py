"""The SQS FIFO batch rule: a failure skips the rest of its message group only, as Powertools'
``SqsFifoPartialProcessor(skip_group_on_error=True)`` does (checked against it on random batches)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from jira_port.live.process import BatchFailedError, process_fifo_batch


def record(message_id: str, group: str | None, body: str = "ok", receive_count: int = 1) -> dict[str, Any]:
    attributes: dict[str, str] = {"ApproximateReceiveCount": str(receive_count)}
    if group is not None:
        attributes["MessageGroupId"] = group
    return {"messageId": message_id, "body": body, "attributes": attributes, "eventSource": "aws:sqs"}


class Handler:
    """Records what it was given; fails the bodies named ``fail``."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, int]] = []

    def __call__(self, body: str, message_id: str, receive_count: int) -> None:
        self.seen.append((body, message_id, receive_count))
        if body == "fail":
            raise RuntimeError("boom")


def test_every_record_runs_in_order_and_nothing_is_reported() -> None:
    handler = Handler()
    event = {"Records": [record("m1", "a", receive_count=3), record("m2", "b"), record("m3", "a")]}
    assert process_fifo_batch(event, handler) == {"batchItemFailures": []}
    assert handler.seen == [("ok", "m1", 3), ("ok", "m2", 1), ("ok", "m3", 1)]


def test_a_failure_skips_the_rest_of_its_group_only() -> None:
    handler = Handler()
    event = {
        "Records": [
            record("m1", "a"),
            record("m2", "b", "fail"),
            record("m3", "a"),
            record("m4", "b"),  # not run: its group already failed in this batch
            record("m5", "c"),
        ]
    }
    response = process_fifo_batch(event, handler)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m2"}, {"itemIdentifier": "m4"}]}
    assert [seen[1] for seen in handler.seen] == ["m1", "m2", "m3", "m5"]


def test_a_record_without_a_group_fails_alone() -> None:
    handler = Handler()
    event = {"Records": [record("m1", None, "fail"), record("m2", None), record("m3", "a")]}
    assert process_fifo_batch(event, handler) == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert len(handler.seen) == 3


def test_a_batch_where_everything_failed_fails_the_invocation() -> None:
    event = {"Records": [record("m1", "a", "fail"), record("m2", "a")]}  # m2 skipped, so failed too
    with pytest.raises(BatchFailedError, match="all 2 records"):
        process_fifo_batch(event, Handler())


def test_an_empty_batch_and_an_event_that_is_not_sqs() -> None:
    assert process_fifo_batch({"Records": []}, Handler()) == {"batchItemFailures": []}
    with pytest.raises(ValueError, match="not an SQS event"):
        process_fifo_batch({"detail": {}}, Handler())


def _powertools(event: dict[str, Any]) -> dict[str, Any] | str:
    def handle(record: Any) -> None:
        if record.body == "fail":
            raise RuntimeError("boom")

    try:
        return dict(
            process_partial_response(
                event=event,
                record_handler=handle,
                processor=SqsFifoPartialProcessor(skip_group_on_error=True),
            )
        )
    except BatchProcessingError:
        return "whole batch failed"


def _ours(event: dict[str, Any]) -> dict[str, Any] | str:
    try:
        return dict(process_fifo_batch(event, Handler()))
    except BatchFailedError:
        return "whole batch failed"


@pytest.mark.parametrize("seed", range(200))
def test_same_answer_as_powertools_on_random_batches(seed: int) -> None:
    rng = random.Random(seed)
    size = rng.randint(1, 10)  # the event source mapping's batch size for FIFO queues is at most 10
    event = {
        "Records": [
            record(f"m{i}", rng.choice(["a", "b", "c", None]), rng.choice(["ok", "ok", "fail"]))
            for i in range(size)
        ]
    }
    assert _ours(event) == _powertools(event)
