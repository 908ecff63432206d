"""The composition root of the webhook and sync functions: what each builds, from its settings, once.

``webhook_receiver(settings)`` and ``sync_processor(settings)`` build a function's core; each handler
caches its one call (``functools.cache``; the mapping is configured beside the settings, so the cache
belongs to the handler module, whose reload is a new container). A build that raised is not cached and
runs again on the next call, which is how a configuration error at init reaches the first invocation
(``warm``). ``close_all`` releases whatever was built (``jira-port serve`` calls it when it stops).

AWS clients get short timeouts on the webhook (Jira waits for the answer; a slow SQS call should end in
a 503 that Jira retries, not in a hung delivery) and standard-mode retries everywhere. Each function
imports only the modules of its own core (the imports below are local for that reason), and the S3
client, needed only for oversized bodies, is made on first use.

``start_live_mapping`` lets a handler begin loading the mapping before its other imports: loading
starts the bounded jq worker process and checks the mapping against the sample events in it, which then
overlaps with importing boto3 and making the clients instead of following them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from jira_port.errors import ConfigError

if TYPE_CHECKING:
    import boto3
    from botocore.config import Config
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

    from jira_port.live.process import LiveProcessor
    from jira_port.live.queue import PayloadStore
    from jira_port.live.receive import WebhookReceiver
    from jira_port.mapping.model import FirstProgram
    from jira_port.mapping.source import MappingProvider
    from jira_port.port import PortClient
    from jira_port.settings.live import SyncSettings, WebhookSettings

_built: list[Callable[[], None]] = []  # the close() of everything built, for close_all
_pending: list[tuple[threading.Thread, list[MappingProvider | Exception]]] = []  # start_live_mapping's


def start_live_mapping(first: FirstProgram = "evaluation") -> None:
    """Begin loading the mapping on a thread, compiling the program the function runs ``first`` (the
    webhook function's is the relevance check); the next ``live_mapping()`` waits for it and returns it
    (or raises what loading raised)."""
    _pending.clear()  # an earlier start nobody waited for was loaded from an older environment
    outcome: list[MappingProvider | Exception] = []
    loader = _mapping_loader()  # imported here, on the caller's thread

    def load() -> None:
        try:
            outcome.append(loader(first))
        except Exception as exc:
            outcome.append(exc)

    thread = threading.Thread(target=load, name="jira-port-mapping", daemon=True)
    thread.start()
    _pending.append((thread, outcome))


def live_mapping(first: FirstProgram = "evaluation") -> MappingProvider:
    """The mapping both live functions evaluate: the one place they obtain it from (``MAPPING_SOURCE``/
    ``MAPPING_CONFIG``; the bundled default otherwise), re-read every ``MAPPING_REFRESH_SECONDS`` when it
    lives in S3 or Port; the one ``start_live_mapping`` loads, when it was started."""
    if not _pending:
        return _mapping_loader()(first)
    thread, outcome = _pending.pop()
    thread.join()
    if isinstance(outcome[0], Exception):
        raise outcome[0]
    return outcome[0]


def _mapping_loader() -> Callable[[FirstProgram], MappingProvider]:
    """What loads the mapping, with every module it needs imported by the calling thread.

    The loading thread must import nothing: CPython lets a thread import a module of a package that another
    thread is still initialising, which then fails ("cannot import name 'CompiledMapping' from partially
    initialized module 'jira_port.mapping.evaluate'", seen once in the sync function's init while its main
    thread imported ``live.process``). Loading then imports no module (``test_mapping_loads_on_a_thread``).
    """
    from importlib import resources  # noqa: PLC0415

    from jira_port.settings.live import LiveSiteSettings  # noqa: PLC0415
    from jira_port.settings.mapping import mapping_provider  # noqa: PLC0415 - heavy (jq)

    resources.files("jira_port")  # its readers are imported on first use: the bundled mapping is read so

    def load(first: FirstProgram) -> MappingProvider:
        # compiled for the site's JIRA_BASE_URL, which every event is evaluated with
        return mapping_provider(jira_base_url=LiveSiteSettings.from_env().jira_base_url, first=first)

    return load


def _aws_config(*, webhook: bool) -> Config:
    """Short timeouts on the webhook (Jira waits: a slow SQS call should end in a 503 that Jira retries),
    standard-mode retries everywhere."""
    from botocore.config import Config  # noqa: PLC0415 - imported after start_live_mapping

    if webhook:
        return Config(
            connect_timeout=2, read_timeout=4, retries={"mode": "standard", "total_max_attempts": 3}
        )
    return Config(connect_timeout=3, read_timeout=10, retries={"mode": "standard", "total_max_attempts": 6})


def webhook_receiver(settings: WebhookSettings) -> WebhookReceiver:
    """The webhook core: authenticator, relevance filter and enqueuer (SQS, plus S3 when configured)."""
    from jira_port.live.auth import WebhookAuthenticator  # noqa: PLC0415 - webhook only
    from jira_port.live.receive import Enqueuer, WebhookReceiver  # noqa: PLC0415

    if not settings.queue_url:
        raise ConfigError("QUEUE_URL is not set (the SQS FIFO queue the webhook enqueues to)")
    import boto3  # noqa: PLC0415 - imported after start_live_mapping

    session, config = boto3.session.Session(), _aws_config(webhook=True)
    receiver = WebhookReceiver(
        settings,
        authenticator=WebhookAuthenticator(settings),
        mapping=live_mapping("relevance"),
        enqueuer=Enqueuer(
            session.client("sqs", config=config),
            settings.queue_url,
            payloads=_payload_store(session, settings.payload_bucket, config),
            max_message_bytes=settings.max_message_bytes,
        ),
    )
    _built.append(receiver.close)
    return receiver


def sync_processor(settings: SyncSettings, port: PortClient | None = None) -> LiveProcessor:
    """The sync core: mapping, Port (the settings' Port part, unless ``port`` is given: the caller then owns
    it), version guard and ownership ledger (``STATE_TABLE``) and payload reader."""
    from jira_port.live.guard import VersionGuard  # noqa: PLC0415
    from jira_port.live.process import LiveProcessor  # noqa: PLC0415
    from jira_port.port import PortClient  # noqa: PLC0415
    from jira_port.port.apply import apply_actions  # noqa: PLC0415
    from jira_port.state import DynamoTable, OwnershipLedger  # noqa: PLC0415

    if not settings.state_table:
        raise ConfigError("STATE_TABLE is not set (the DynamoDB table of the version guard)")
    import boto3  # noqa: PLC0415 - imported after start_live_mapping

    session, config = boto3.session.Session(), _aws_config(webhook=False)
    dynamodb: DynamoDBClient = session.client("dynamodb", config=config)
    mapping = live_mapping()
    client = port if port is not None else PortClient(settings)
    if port is None:
        _built.append(client.close)
    processor = LiveProcessor(
        mapping=mapping,
        apply=partial(apply_actions, port=client),
        guard=VersionGuard(dynamodb, settings.state_table, ttl_days=settings.guard_ttl_days),
        payloads=_payload_store(session, settings.payload_bucket, config),
        jira_base_url=settings.jira_base_url,
        ownership=OwnershipLedger(DynamoTable(settings.state_table, dynamodb)),
    )
    _built.append(processor.close)
    return processor


def warm(build: Callable[[], object]) -> bool:
    """Build now (a handler's init phase, which Lambda runs before the first request; with provisioned
    concurrency or SnapStart, before any request). A failure is logged and returns False: nothing is
    cached, so the first invocation builds again and raises it where the handler reports it."""
    from jira_port.observability import logger  # noqa: PLC0415

    try:
        build()
    except ConfigError as exc:
        logger.error("not configured at init; the first invocation will try again", extra={"error": str(exc)})
        return False
    except Exception:
        logger.exception("init failed; the first invocation will try again")
        return False
    return True


def close_all() -> None:
    """Release every receiver and processor built so far (their AWS and Port clients) and forget them."""
    while _built:
        _built.pop()()


def _payload_store(session: boto3.session.Session, bucket: str | None, config: Config) -> PayloadStore | None:
    from jira_port.live.queue import PayloadStore  # noqa: PLC0415

    if not bucket:
        return None

    def s3() -> S3Client:
        client: S3Client = session.client("s3", config=config)
        return client

    return PayloadStore(s3, bucket)
