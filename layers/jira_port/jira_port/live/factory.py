"""Build the webhook and sync cores from the environment (what the thin handlers call once per container).

AWS clients get short timeouts on the webhook (Jira waits for the answer; a slow SQS call should end in
a 503 that Jira retries, not in a hung delivery) and standard-mode retries everywhere.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from jira_port.actions import Action
from jira_port.errors import ConfigError
from jira_port.live.auth import WebhookAuthenticator
from jira_port.live.enqueue import Enqueuer
from jira_port.live.guard import VersionGuard
from jira_port.live.payloads import PayloadStore
from jira_port.live.process import LiveProcessor
from jira_port.live.protocols import ApplyOutcome, EventMapping
from jira_port.live.receive import WebhookReceiver
from jira_port.settings.live import LiveSettings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

WEBHOOK_AWS_CONFIG = Config(
    connect_timeout=2, read_timeout=4, retries={"mode": "standard", "total_max_attempts": 3}
)
SYNC_AWS_CONFIG = Config(
    connect_timeout=3, read_timeout=10, retries={"mode": "standard", "total_max_attempts": 6}
)


class Lazy[T]:
    """A value built on first use, once, even when several threads ask at the same time."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: T | None = None
        self._lock = threading.Lock()

    def __call__(self) -> T:
        value = self._value
        if value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._build()
                value = self._value
        return value

    def reset(self) -> None:
        """Forget the value (the next call builds a new one)."""
        with self._lock:
            self._value = None


def load_live_mapping() -> EventMapping:
    """The configured mapping (``MAPPING_FILE``/``MAPPING_CONFIG``; the bundled default otherwise)."""
    from jira_port.settings.mapping import load_configured_mapping  # noqa: PLC0415 - heavy (jq compile)

    mapping: EventMapping = load_configured_mapping()
    return mapping


def build_receiver(
    settings: LiveSettings | None = None, *, mapping: EventMapping | None = None
) -> WebhookReceiver:
    """The webhook core: authenticator, relevance filter and enqueuer (SQS, plus S3 when configured)."""
    live = settings if settings is not None else LiveSettings.from_env()
    if not live.queue_url:
        raise ConfigError("QUEUE_URL is not set (the SQS FIFO queue the webhook enqueues to)")
    session = boto3.session.Session()
    sqs: SQSClient = session.client("sqs", config=WEBHOOK_AWS_CONFIG)
    payloads = None
    if live.payload_bucket:
        s3: S3Client = session.client("s3", config=WEBHOOK_AWS_CONFIG)
        payloads = PayloadStore(s3, live.payload_bucket)
    return WebhookReceiver(
        live,
        authenticator=WebhookAuthenticator(live),
        mapping=mapping if mapping is not None else load_live_mapping(),
        enqueuer=Enqueuer(sqs, live.queue_url, payloads=payloads, max_message_bytes=live.max_message_bytes),
    )


def build_processor(
    settings: LiveSettings | None = None,
    *,
    mapping: EventMapping | None = None,
    apply: Callable[[Sequence[Action]], ApplyOutcome] | None = None,
) -> LiveProcessor:
    """The sync core: mapping, Port (``PORT_*``), version guard (``STATE_TABLE``) and payload reader."""
    live = settings if settings is not None else LiveSettings.from_env()
    guard = build_guard(live)
    payloads = None
    if live.payload_bucket:
        s3: S3Client = boto3.session.Session().client("s3", config=SYNC_AWS_CONFIG)
        payloads = PayloadStore(s3, live.payload_bucket)
    return LiveProcessor(
        mapping=mapping if mapping is not None else load_live_mapping(),
        apply=apply if apply is not None else _port_apply(),
        guard=guard,
        payloads=payloads,
        jira_base_url=live.jira_base_url,
    )


def build_guard(settings: LiveSettings | None = None) -> VersionGuard:
    """The version guard on ``STATE_TABLE`` (for the backfill: ``newer_entries`` and ``record``)."""
    live = settings if settings is not None else LiveSettings.from_env()
    if not live.state_table:
        raise ConfigError("STATE_TABLE is not set (the DynamoDB table of the version guard)")
    dynamodb: DynamoDBClient = boto3.session.Session().client("dynamodb", config=SYNC_AWS_CONFIG)
    return VersionGuard(dynamodb, live.state_table, ttl_days=live.guard_ttl_days)


def _port_apply() -> Callable[[Sequence[Action]], ApplyOutcome]:
    from jira_port.port import PortClient  # noqa: PLC0415 - only the sync function needs Port
    from jira_port.sync.apply import apply_actions  # noqa: PLC0415

    bound: Callable[[Sequence[Action]], Any] = partial(apply_actions, port=PortClient.from_env())
    return bound
