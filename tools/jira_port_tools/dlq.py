"""The sync dead-letter queue: what is in it, why each message failed, and moving it back.

Why a message failed is not stored on the message (SQS moves it unchanged, keeping its message id); the
sync function logs it, keyed by ``message_id``: ``Port rejected an entity`` (with Port's status and error
code), ``queued body is not JSON``, ``message failed unexpectedly`` and the others in
``jira_port.live.process``. ``dead_letters`` reads both and joins them.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import ChangeMessageVisibilityBatchRequestEntryTypeDef

# Messages stay hidden while they are listed (so each is seen once), then are released at once.
_LIST_VISIBILITY_SECONDS = 60
_DLQ_RETENTION_MS = 14 * 24 * 3600 * 1000
_LOOKBACK_MS = 24 * 3600 * 1000
_LOG_LEVELS = ("ERROR", "CRITICAL", "WARNING")


@dataclass(slots=True)
class DeadLetter:
    """One message in the DLQ and the reasons the sync function logged for it (newest last)."""

    message_id: str
    group_id: str
    receive_count: int
    sent_at_ms: int
    event: str | None
    issue_or_project: str | None
    reasons: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe representation."""
        return {
            "messageId": self.message_id,
            "groupId": self.group_id,
            "receiveCount": self.receive_count,
            "sentAt": self.sent_at_ms,
            "event": self.event,
            "subject": self.issue_or_project,
            "reasons": self.reasons,
        }


def dead_letters(
    sqs: SQSClient, queue_url: str, *, logs: CloudWatchLogsClient | None, log_group: str | None, limit: int
) -> list[DeadLetter]:
    """Up to ``limit`` DLQ messages with their logged failure reasons; the messages stay in the queue.

    A FIFO queue hands out one group's messages only while none of that group is in flight, so a group
    with more than ten dead messages shows its first batch; the rest follow once these are redriven.
    """
    received: list[dict[str, Any]] = []
    try:
        while len(received) < limit:
            batch = sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=min(10, limit - len(received)),
                VisibilityTimeout=_LIST_VISIBILITY_SECONDS,
                MessageSystemAttributeNames=["All"],
                WaitTimeSeconds=0,
            ).get("Messages", [])
            if not batch:
                break
            received.extend(dict(m) for m in batch)
    finally:
        _release(sqs, queue_url, received)
    letters = [_letter(m) for m in received]
    if logs is not None and log_group:
        for letter in letters:
            letter.reasons = _reasons(logs, log_group, letter.message_id, since_ms=letter.sent_at_ms)
    return letters


def redrive(sqs: SQSClient, dlq_url: str, queue_url: str, *, limit: int) -> list[str]:
    """Move up to ``limit`` messages from the DLQ back to the sync queue, oldest first; their new ids.

    Each message is sent with its FIFO group (so per-entity order holds) and a fresh deduplication id
    (the original may still be inside SQS's five-minute window and would be dropped), then deleted from
    the DLQ. A crash in between leaves a copy in both queues: the sync function's version guard makes
    applying it twice harmless, and nothing is lost.
    """
    moved: list[str] = []
    stamp = int(time.time() * 1000)
    while len(moved) < limit:
        batch = sqs.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=min(10, limit - len(moved)),
            VisibilityTimeout=_LIST_VISIBILITY_SECONDS,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not batch:
            break
        for message in batch:
            attributes = message.get("Attributes", {})
            kwargs: dict[str, Any] = {"QueueUrl": queue_url, "MessageBody": message["Body"]}
            if message.get("MessageAttributes"):
                kwargs["MessageAttributes"] = message["MessageAttributes"]
            if "MessageGroupId" in attributes:
                dedupe = attributes.get("MessageDeduplicationId") or message["MessageId"]
                kwargs["MessageGroupId"] = attributes["MessageGroupId"]
                kwargs["MessageDeduplicationId"] = f"{dedupe[:100]}-redrive-{stamp}"
            moved.append(sqs.send_message(**kwargs)["MessageId"])
            sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
    return moved


def _release(sqs: SQSClient, queue_url: str, messages: list[dict[str, Any]]) -> None:
    for start in range(0, len(messages), 10):
        entries: list[ChangeMessageVisibilityBatchRequestEntryTypeDef] = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
            for i, m in enumerate(messages[start : start + 10])
        ]
        sqs.change_message_visibility_batch(QueueUrl=queue_url, Entries=entries)


def _letter(message: dict[str, Any]) -> DeadLetter:
    attributes = message.get("Attributes", {})
    event, subject = _describe_body(message.get("Body", ""))
    return DeadLetter(
        message_id=message["MessageId"],
        group_id=attributes.get("MessageGroupId", ""),
        receive_count=int(attributes.get("ApproximateReceiveCount", 0)),
        sent_at_ms=int(attributes.get("SentTimestamp", 0)),
        event=event,
        issue_or_project=subject,
    )


def _describe_body(text: str) -> tuple[str | None, str | None]:
    """The webhook event name and issue key / project key of an envelope, as far as they can be read."""
    from jira_port.live.queue import Envelope, EnvelopeError

    try:
        envelope = Envelope.from_json(text)
    except EnvelopeError as exc:
        return None, f"(not a jira-port envelope: {exc})"
    if envelope.pointer is not None:
        return None, f"(body in s3://{envelope.pointer.bucket}/{envelope.pointer.key})"
    try:
        body = json.loads(envelope.inline_bytes())
    except (ValueError, UnicodeDecodeError):
        return None, "(body is not JSON)"
    if not isinstance(body, dict):
        return None, "(body is not a JSON object)"
    issue, project = body.get("issue"), body.get("project")
    subject = None
    if isinstance(issue, dict):
        subject = issue.get("key") or issue.get("id")
    elif isinstance(project, dict):
        subject = project.get("key") or project.get("id")
    event = body.get("webhookEvent")
    return (str(event) if event else None), (str(subject) if subject else None)


def _reasons(logs: CloudWatchLogsClient, log_group: str, message_id: str, *, since_ms: int) -> list[str]:
    """The sync function's warning and error lines for one message, as one-line reasons.

    The search starts a day before the message's ``SentTimestamp`` (a FIFO queue resets it on the move to
    the DLQ, and the failed deliveries come before that, ``MaxReceiveCount`` visibility timeouts apart),
    and never before the DLQ's retention horizon.
    """
    reasons: list[str] = []
    horizon = int(time.time() * 1000) - _DLQ_RETENTION_MS
    kwargs: dict[str, Any] = {
        "logGroupName": log_group,
        "filterPattern": f'"{message_id}"',
        "startTime": max(horizon, since_ms - _LOOKBACK_MS),
    }
    while True:
        page = logs.filter_log_events(**kwargs)
        for event in page.get("events", []):
            reason = _reason(event.get("message", ""), message_id)
            if reason and reason not in reasons:
                reasons.append(reason)
        if not page.get("nextToken"):
            return reasons
        kwargs["nextToken"] = page["nextToken"]


def _reason(line: str, message_id: str) -> str | None:
    try:
        record = json.loads(line[line.index("{") :])
    except ValueError:
        return None
    if not isinstance(record, dict) or record.get("message_id") != message_id:
        return None
    if str(record.get("level", "")).upper() not in _LOG_LEVELS:
        return None
    reason = str(record.get("message", ""))
    failure = record.get("failure")
    if isinstance(failure, dict):
        reason += (
            f": {failure.get('blueprint')}/{failure.get('identifier')} {failure.get('operation')} "
            f"HTTP {failure.get('status')} {failure.get('error')}: {failure.get('message')}"
        )
    elif record.get("error"):
        reason += f": {record['error']}"
    return reason
