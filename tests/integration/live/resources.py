"""AWS resources of the live path, created with boto3 inside moto (shared by unit and integration tests)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3

from tests.support.aws import create_state_table

TABLE = "jira-port-test-state"
BUCKET = "jira-port-test-payloads"
QUEUE = "jira-port-test-sync.fifo"
DLQ = "jira-port-test-sync-dlq.fifo"


@dataclass(frozen=True)
class LiveResources:
    """Names and URLs of the resources, plus clients to inspect them."""

    queue_url: str
    dlq_url: str
    bucket: str
    table: str
    sqs: Any
    s3: Any
    dynamodb: Any

    def env(self) -> dict[str, str]:
        """The environment variables the handlers read."""
        return {"QUEUE_URL": self.queue_url, "PAYLOAD_BUCKET": self.bucket, "STATE_TABLE": self.table}

    def queued(self, url: str | None = None) -> list[dict[str, Any]]:
        """Bodies (parsed) of the messages a queue holds; they stay queued (visibility reset)."""
        target = url or self.queue_url
        messages = self.sqs.receive_message(
            QueueUrl=target, MaxNumberOfMessages=10, VisibilityTimeout=30, MessageSystemAttributeNames=["All"]
        ).get("Messages", [])
        for message in messages:
            self.sqs.change_message_visibility(
                QueueUrl=target, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        return [json.loads(m["Body"]) | {"_attributes": m.get("Attributes", {})} for m in messages]

    def depth(self, url: str | None = None) -> int:
        """Visible + in-flight + delayed messages."""
        names = [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ]
        attrs = self.sqs.get_queue_attributes(QueueUrl=url or self.queue_url, AttributeNames=names)[
            "Attributes"
        ]
        return sum(int(attrs[name]) for name in names)


def create_live_resources(*, max_receive_count: int = 3, visibility_timeout: int = 30) -> LiveResources:
    """FIFO queue with a redrive policy to a FIFO DLQ, payload bucket and state table (inside moto)."""
    session = boto3.session.Session(region_name="us-east-1")
    sqs, s3, dynamodb = session.client("sqs"), session.client("s3"), session.client("dynamodb")
    dlq_url = sqs.create_queue(QueueName=DLQ, Attributes={"FifoQueue": "true"})["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    queue_url = sqs.create_queue(
        QueueName=QUEUE,
        Attributes={
            "FifoQueue": "true",
            "DeduplicationScope": "messageGroup",
            "FifoThroughputLimit": "perMessageGroupId",
            "VisibilityTimeout": str(visibility_timeout),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count}
            ),
        },
    )["QueueUrl"]
    s3.create_bucket(Bucket=BUCKET)
    create_state_table(dynamodb, TABLE)
    return LiveResources(queue_url, dlq_url, BUCKET, TABLE, sqs, s3, dynamodb)
