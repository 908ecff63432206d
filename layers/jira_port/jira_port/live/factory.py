"""Build the webhook and sync cores from the environment (what the thin handlers do once per container).

AWS clients get short timeouts on the webhook (Jira waits for the answer; a slow SQS call should end in
a 503 that Jira retries, not in a hung delivery) and standard-mode retries everywhere. Each function
imports only the modules of its own core (the imports below are local for that reason), and the S3
client, needed only for oversized bodies, is made on first use. Whatever a build makes is released by
the built object's ``close()`` (``Lazy.close``), which ``jira-port serve`` calls when it stops.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from jira_port.actions import Action
from jira_port.errors import ConfigError
from jira_port.live.lazy import Lazy
from jira_port.live.protocols import ApplyOutcome, EventMapping
from jira_port.settings.live import LiveSettings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

    from jira_port.live.guard import VersionGuard
    from jira_port.live.payloads import PayloadStore
    from jira_port.live.process import LiveProcessor
    from jira_port.live.receive import WebhookReceiver
    from jira_port.port import PortClient
    from jira_port.port.apply import ApplyResult

WEBHOOK_AWS_CONFIG = Config(
    connect_timeout=2, read_timeout=4, retries={"mode": "standard", "total_max_attempts": 3}
)
SYNC_AWS_CONFIG = Config(
    connect_timeout=3, read_timeout=10, retries={"mode": "standard", "total_max_attempts": 6}
)


def load_live_mapping() -> EventMapping:
    """The configured mapping (``MAPPING_SOURCE``/``MAPPING_CONFIG``), re-read every
    ``MAPPING_REFRESH_SECONDS`` when it lives in S3 or Port."""
    from jira_port.settings.mapping import mapping_provider  # noqa: PLC0415 - heavy (jq compile)

    mapping: EventMapping = mapping_provider()
    return mapping


def build_receiver(
    settings: LiveSettings | None = None, *, mapping: EventMapping | None = None
) -> WebhookReceiver:
    """The webhook core: authenticator, relevance filter and enqueuer (SQS, plus S3 when configured)."""
    from jira_port.live.auth import WebhookAuthenticator  # noqa: PLC0415 - webhook only
    from jira_port.live.enqueue import Enqueuer  # noqa: PLC0415
    from jira_port.live.receive import WebhookReceiver  # noqa: PLC0415

    live = settings if settings is not None else LiveSettings.from_env()
    if not live.queue_url:
        raise ConfigError("QUEUE_URL is not set (the SQS FIFO queue the webhook enqueues to)")
    session = boto3.session.Session()
    sqs: SQSClient = session.client("sqs", config=WEBHOOK_AWS_CONFIG)
    return WebhookReceiver(
        live,
        authenticator=WebhookAuthenticator(live),
        mapping=mapping if mapping is not None else load_live_mapping(),
        enqueuer=Enqueuer(
            sqs,
            live.queue_url,
            payloads=_payload_store(session, live.payload_bucket, WEBHOOK_AWS_CONFIG),
            max_message_bytes=live.max_message_bytes,
        ),
    )


def build_processor(
    settings: LiveSettings | None = None,
    *,
    mapping: EventMapping | None = None,
    apply: Callable[[Sequence[Action]], ApplyOutcome] | None = None,
) -> LiveProcessor:
    """The sync core: mapping, Port (``PORT_*``), version guard (``STATE_TABLE``) and payload reader."""
    from jira_port.backfill.dynamo import DynamoTable  # noqa: PLC0415 - sync only
    from jira_port.live.process import LiveProcessor  # noqa: PLC0415
    from jira_port.ownership import OwnershipLedger  # noqa: PLC0415

    live = settings if settings is not None else LiveSettings.from_env()
    session = boto3.session.Session()
    dynamodb: DynamoDBClient = session.client("dynamodb", config=SYNC_AWS_CONFIG)
    guard = build_guard(live, dynamodb=dynamodb)
    assert live.state_table is not None  # build_guard refused a missing STATE_TABLE
    ledger = OwnershipLedger(DynamoTable(live.state_table, dynamodb))
    return LiveProcessor(
        mapping=mapping if mapping is not None else load_live_mapping(),
        apply=apply if apply is not None else PortWriter.from_env(),
        guard=guard,
        payloads=_payload_store(session, live.payload_bucket, SYNC_AWS_CONFIG),
        jira_base_url=live.jira_base_url,
        ownership=ledger,
    )


def build_guard(
    settings: LiveSettings | None = None,
    *,
    session: boto3.session.Session | None = None,
    dynamodb: DynamoDBClient | None = None,
) -> VersionGuard:
    """The version guard on ``STATE_TABLE`` (for the backfill: ``newer_entries`` and ``record``);
    ``dynamodb`` shares a client the caller already made."""
    from jira_port.live.guard import VersionGuard  # noqa: PLC0415 - sync and backfill only

    live = settings if settings is not None else LiveSettings.from_env()
    if not live.state_table:
        raise ConfigError("STATE_TABLE is not set (the DynamoDB table of the version guard)")
    if dynamodb is None:
        aws = session if session is not None else boto3.session.Session()
        dynamodb = aws.client("dynamodb", config=SYNC_AWS_CONFIG)
    return VersionGuard(dynamodb, live.state_table, ttl_days=live.guard_ttl_days)


class PortWriter:
    """``apply_actions`` bound to a Port client it owns (``close`` releases the client's connections)."""

    def __init__(self, port: PortClient) -> None:
        from jira_port.port.apply import apply_actions  # noqa: PLC0415 - only the sync function writes

        self.port = port
        self._apply = apply_actions

    @classmethod
    def from_env(cls) -> PortWriter:
        """A writer on ``PortClient.from_env()`` (``PORT_*``)."""
        from jira_port.port import PortClient  # noqa: PLC0415 - only the sync function needs Port

        return cls(PortClient.from_env())

    def __call__(self, actions: Sequence[Action], /) -> ApplyResult:
        return self._apply(actions, self.port)

    def close(self) -> None:
        """Close the Port client."""
        self.port.close()


def _payload_store(session: boto3.session.Session, bucket: str | None, config: Config) -> PayloadStore | None:
    from jira_port.live.payloads import PayloadStore  # noqa: PLC0415

    if not bucket:
        return None

    def s3() -> S3Client:
        client: S3Client = session.client("s3", config=config)
        return client

    return PayloadStore(Lazy(s3), bucket)


__all__ = [
    "SYNC_AWS_CONFIG",
    "WEBHOOK_AWS_CONFIG",
    "Lazy",
    "PortWriter",
    "build_guard",
    "build_processor",
    "build_receiver",
    "load_live_mapping",
]
