"""Put a verified delivery on the SQS FIFO queue, offloading bodies above the message limit to S3.

A failed store is retried in-process (``attempts``, with short pauses) before the webhook answers 503:
Jira Data Center never retries a delivery, so on DC a 5xx loses the event until the next incremental
backfill. Retrying is safe: the FIFO deduplication id and the S3 key are the same on every attempt.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from jira_port.errors import ConfigError, JiraPortError
from jira_port.live.envelope import Envelope
from jira_port.live.payloads import PayloadStore
from jira_port.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


class EnqueueError(JiraPortError):
    """The delivery could not be stored (SQS or S3 failed); the webhook answers 503 so Jira retries."""


@dataclass(frozen=True, slots=True)
class EnqueueResult:
    """What was sent: the SQS message id, whether the body went to S3, and the message size in bytes."""

    message_id: str
    offloaded: bool
    message_bytes: int


class Enqueuer:
    """Sends envelopes to one FIFO queue; group and deduplication ids come from the envelope."""

    def __init__(
        self,
        sqs: SQSClient,
        queue_url: str,
        *,
        payloads: PayloadStore | None,
        max_message_bytes: int,
        pauses: Sequence[float] = (0.2, 0.8),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._pauses = tuple(pauses)
        self._sleep = sleep
        self._sqs = sqs
        self._queue_url = queue_url
        self._payloads = payloads
        self._max_message_bytes = max_message_bytes

    def close(self) -> None:
        """Release the SQS client's connections, and the payload store's."""
        self._sqs.close()
        if self._payloads is not None:
            self._payloads.close()

    def enqueue(self, envelope: Envelope, *, request_id: str) -> EnqueueResult:
        """Store the envelope durably, retrying after each of ``pauses``, or raise ``EnqueueError``."""
        for pause in self._pauses:
            try:
                return self._enqueue_once(envelope, request_id=request_id)
            except EnqueueError as exc:
                logger.warning("delivery not stored yet; retrying in-process", extra={"error": str(exc)})
                self._sleep(pause)
        return self._enqueue_once(envelope, request_id=request_id)

    def _enqueue_once(self, envelope: Envelope, *, request_id: str) -> EnqueueResult:
        text = envelope.to_json()
        offloaded = False
        try:
            if len(text) > self._max_message_bytes:
                if self._payloads is None:
                    raise ConfigError(
                        f"a {len(text)}-byte delivery exceeds MAX_MESSAGE_BYTES and PAYLOAD_BUCKET is not set"
                    )
                pointer = self._payloads.put(
                    envelope.inline_bytes(), dedupe_id=envelope.dedupe_id, request_id=request_id
                )
                text = envelope.with_pointer(pointer).to_json()
                offloaded = True
            response = self._sqs.send_message(
                QueueUrl=self._queue_url,
                MessageBody=text,
                MessageGroupId=envelope.group_id,
                MessageDeduplicationId=envelope.dedupe_id,
            )
        except (BotoCoreError, ClientError) as exc:
            raise EnqueueError(f"could not store the delivery: {type(exc).__name__} {_code(exc)}") from exc
        return EnqueueResult(response["MessageId"], offloaded, len(text))


def _code(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""
