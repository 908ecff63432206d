"""Bodies too large for an SQS message live in S3; the message carries a pointer.

Objects are keyed ``webhooks/<dedupe id>/<request id>.json``: one object per delivery, so deleting an
object after its message succeeded never affects another delivery of the same event. The sync side
deletes the object after success; the bucket's lifecycle rule removes anything left behind (keep its
expiry above the queue retention plus the DLQ retention so a redriven message still finds its body).
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from jira_port.errors import JiraPortError
from jira_port.live.envelope import PayloadPointer
from jira_port.live.lazy import Lazy
from jira_port.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

KEY_PREFIX = "webhooks/"
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


class PayloadMissingError(JiraPortError):
    """The stored body is gone (expired by the lifecycle rule, or already consumed)."""


class PayloadCorruptError(JiraPortError):
    """The stored body does not match the size and SHA-256 recorded in the pointer."""


class PayloadStore:
    """Put, get and delete oversized webhook bodies in ``bucket``.

    ``s3`` may be a ``Lazy`` client: most deliveries never need S3, and making the client costs cold start.
    The store owns the client: ``close`` releases it.
    """

    def __init__(self, s3: S3Client | Lazy[S3Client], bucket: str) -> None:
        if isinstance(s3, Lazy):
            self._client = s3
        else:
            self._client = Lazy(lambda: s3)
            self._client()  # a given client counts as made: close() releases it
        self.bucket = bucket

    @property
    def _s3(self) -> S3Client:
        return self._client()

    def close(self) -> None:
        """Release the S3 client's connections (if the client was ever made)."""
        self._client.close()

    def put(self, raw: bytes, *, dedupe_id: str, request_id: str) -> PayloadPointer:
        """Store ``raw`` and return its pointer (botocore errors propagate: the caller answers 503)."""
        key = f"{KEY_PREFIX}{_segment(dedupe_id)}/{_segment(request_id)}.json"
        digest = hashlib.sha256(raw).hexdigest()
        self._s3.put_object(
            Bucket=self.bucket, Key=key, Body=raw, ContentType="application/json", Metadata={"sha256": digest}
        )
        return PayloadPointer(self.bucket, key, len(raw), digest)

    def get(self, pointer: PayloadPointer) -> bytes:
        """The stored bytes, checked against the pointer. A missing object raises ``PayloadMissingError``."""
        try:
            response = self._s3.get_object(Bucket=pointer.bucket, Key=pointer.key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404", "NotFound"}:
                raise PayloadMissingError(f"s3://{pointer.bucket}/{pointer.key} does not exist") from None
            raise
        raw = response["Body"].read()
        if len(raw) != pointer.size or hashlib.sha256(raw).hexdigest() != pointer.sha256:
            raise PayloadCorruptError(f"s3://{pointer.bucket}/{pointer.key} does not match its pointer")
        return raw

    def delete(self, pointer: PayloadPointer) -> None:
        """Best-effort delete after success; the lifecycle rule catches what this misses."""
        try:
            self._s3.delete_object(Bucket=pointer.bucket, Key=pointer.key)
        except (BotoCoreError, ClientError) as exc:
            logger.warning(
                "could not delete a consumed payload; the lifecycle rule will",
                extra={"key": pointer.key, "error": type(exc).__name__},
            )


def _segment(value: str) -> str:
    return value if _SAFE_SEGMENT.match(value) else hashlib.sha256(value.encode("utf-8")).hexdigest()
