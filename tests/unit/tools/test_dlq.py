"""``jira_port_tools.dlq`` on moto FIFO queues: listing leaves messages in place and joins the logged reasons;
redrive keeps each group's order past one receive batch and never reuses a deduplication id."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from jira_port_tools.cli import main
from jira_port_tools.dlq import dead_letters, redrive

GROUP = "/aws/lambda/jira-port-sync"


@pytest.fixture
def queues(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str, str]]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    with mock_aws():
        sqs = boto3.client("sqs")
        dlq = sqs.create_queue(QueueName="dlq.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        queue = sqs.create_queue(QueueName="sync.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        yield sqs, dlq, queue


def _envelope(key: str, n: int) -> str:
    body = json.dumps({"webhookEvent": "jira:issue_updated", "issue": {"key": key}, "n": n})
    return json.dumps({"v": 1, "id": f"{key}-{n}", "group": key, "receivedAt": 1, "headers": {}, "query": {},
                       "body": body, "encoding": "utf-8"})  # fmt: skip


def _fill(sqs: Any, url: str, counts: dict[str, int]) -> None:
    for key, count in counts.items():
        for n in range(count):
            sqs.send_message(
                QueueUrl=url, MessageBody=_envelope(key, n), MessageGroupId=f"issue:{key}",
                MessageDeduplicationId=f"{key}-{n}",
            )  # fmt: skip


def _drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while got := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
    ).get("Messages", []):
        out.extend(got)
        for m in got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return out


def test_redrive_keeps_group_order_beyond_one_batch(queues: tuple[Any, str, str]) -> None:
    sqs, dlq, queue = queues
    _fill(sqs, dlq, {"A-1": 12, "B-2": 3})
    moved = redrive(sqs, dlq, queue, limit=100)
    assert len(moved) == 15
    assert _drain(sqs, dlq) == []
    arrived = _drain(sqs, queue)
    order: dict[str, list[int]] = {}
    for m in arrived:
        body = json.loads(json.loads(m["Body"])["body"])
        order.setdefault(m["Attributes"]["MessageGroupId"], []).append(body["n"])
        assert m["Attributes"]["MessageDeduplicationId"] != json.loads(m["Body"])["id"]
    assert order == {"issue:A-1": list(range(12)), "issue:B-2": [0, 1, 2]}


def test_redrive_respects_its_limit(queues: tuple[Any, str, str]) -> None:
    sqs, dlq, queue = queues
    _fill(sqs, dlq, {"A-1": 4})
    assert len(redrive(sqs, dlq, queue, limit=3)) == 3
    assert len(_drain(sqs, dlq)) == 1


def test_listing_joins_the_logged_reasons_and_leaves_the_messages(queues: tuple[Any, str, str]) -> None:
    sqs, dlq, _ = queues
    _fill(sqs, dlq, {"A-1": 1, "B-2": 1})
    sqs.send_message(QueueUrl=dlq, MessageBody="not json", MessageGroupId="x", MessageDeduplicationId="x")
    first = dead_letters(sqs, dlq, logs=None, log_group=None, limit=10)
    ids = {letter.message_id: letter for letter in first}
    logs = boto3.client("logs")
    logs.create_log_group(logGroupName=GROUP)
    logs.create_log_stream(logGroupName=GROUP, logStreamName="s")
    target = next(letter for letter in first if letter.issue_or_project == "A-1")
    now = int(time.time() * 1000)
    lines = [
        {"level": "INFO", "message": "event synced", "message_id": target.message_id},
        {"level": "ERROR", "message": "queued body is not JSON", "message_id": target.message_id},
        {"level": "ERROR", "message": "Port rejected an entity", "message_id": "someone-else"},
    ]
    logs.put_log_events(
        logGroupName=GROUP, logStreamName="s",
        logEvents=[{"timestamp": now, "message": json.dumps(line)} for line in lines],
    )  # fmt: skip
    again = dead_letters(sqs, dlq, logs=logs, log_group=GROUP, limit=10)
    assert {letter.message_id for letter in again} == set(ids)  # released: visible again
    by_id = {letter.message_id: letter for letter in again}
    assert by_id[target.message_id].reasons == ["queued body is not JSON"]
    assert by_id[target.message_id].event == "jira:issue_updated"
    odd = next(letter for letter in again if letter.group_id == "x")
    assert odd.issue_or_project is not None and "not a jira-port envelope" in odd.issue_or_project


def test_the_command_reports_aws_errors_in_one_line(
    queues: tuple[Any, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    missing = "https://sqs.us-east-1.amazonaws.com/123456789012/nope.fifo"
    assert main(["dlq", "list", "--queue-url", missing]) == 1
    err = capsys.readouterr().err
    assert err.startswith("jira-port: ") and err.count("\n") == 1
