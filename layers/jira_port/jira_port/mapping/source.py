"""Where a mapping lives (``MAPPING_SOURCE``), and the provider that keeps the last good one fresh.

A source is one of:

- a bundled name (``default``, ``cloud-guide``, ``server-guide``);
- a path to a ``.json``/``.yaml``/``.yml`` file; a relative path not found in the working directory is
  looked up in the layer's mapping folder (``jira_port/data/mappings/``, which ``sam build`` ships);
- ``s3://bucket/key``: an object read with the function's own role (any size);
- ``port:<webhook identifier>``: the ``mappings`` of that Port webhook data source, exactly as Port's UI
  holds them (``GET /v1/webhooks/{identifier}``; the credentials need the moderator or admin role).

S3 and Port sources are *remote*: ``MappingProvider`` re-reads them every ``refresh_seconds``. A new
mapping that fails to read, load or compile never replaces the last good one: the problem is logged
(rule, field, jq error) and counted in the ``MappingReloadFailed`` metric. With no good mapping at all
(a cold start) the provider raises ``MappingError``, so the caller fails loudly.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jira_port.mapping.checks import MappingError, MappingProblem
from jira_port.mapping.config import Format
from jira_port.mapping.evaluate import CompiledMapping
from jira_port.mapping.load import format_of, read_local
from jira_port.observability import MetricUnit, logger, metrics

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from jira_port.port import PortClient

S3_PREFIX = "s3://"
PORT_PREFIX = "port:"
#: The layer folder for user mapping files (``layers/jira_port/jira_port/data/mappings/``).
LAYER_MAPPINGS = ("data", "mappings")
RELOAD_FAILED_METRIC = "MappingReloadFailed"
# A re-read happens inside a webhook delivery or a sync batch: it must not hold them (the webhook function
# has 10 s). Short timeouts and one retry; a failure only keeps the last good mapping until the next try.
READ_TIMEOUT_SECONDS = 3.0
READ_ATTEMPTS = 2


@dataclass(frozen=True, slots=True)
class SourceText:
    """A mapping as read: its text, format (``None``: detect) and a label for messages."""

    text: str
    fmt: Format | None
    label: str


def is_remote(source: str | None) -> bool:
    """Whether ``source`` is re-read while the function runs (S3 and Port sources)."""
    return bool(source) and str(source).startswith((S3_PREFIX, PORT_PREFIX))


def s3_location(source: str) -> tuple[str, str]:
    """``(bucket, key)`` of an ``s3://bucket/key`` source (``MappingError`` when malformed)."""
    bucket, _, key = source.removeprefix(S3_PREFIX).partition("/")
    if not bucket or not key:
        raise MappingError(
            [MappingProblem(None, "", "expected s3://bucket/key")], f"mapping source {source!r}"
        )
    return bucket, key


def port_identifier(source: str) -> str:
    """The webhook identifier of a ``port:<identifier>`` source."""
    identifier = source.removeprefix(PORT_PREFIX).strip()
    if not identifier:
        raise MappingError([MappingProblem(None, "", "expected port:<webhook identifier>")], "mapping source")
    return identifier


def _unreadable(label: str, reason: str) -> MappingError:
    return MappingError([MappingProblem(None, "", f"cannot read it: {reason}")], label)


def read_s3(source: str, s3: S3Client) -> SourceText:
    """The object of an ``s3://bucket/key`` source."""
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 - S3 sources only

    bucket, key = s3_location(source)
    label = f"mapping {source}"
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        text = body.decode("utf-8")
    except ClientError as exc:
        raise _unreadable(label, str(exc.response.get("Error", {}).get("Code", "ClientError"))) from None
    except (BotoCoreError, UnicodeDecodeError) as exc:
        raise _unreadable(label, type(exc).__name__) from None
    return SourceText(text, format_of(key), label)


def get_webhook(port: PortClient, identifier: str) -> dict[str, Any]:
    """``GET /v1/webhooks/{identifier}``: the webhook data source (``integration``), with its
    ``mappings``. Needs the moderator or admin role; raises ``PortAPIError`` otherwise."""
    from jira_port.port.types import segment  # noqa: PLC0415 - Port sources only

    response = port.api.call("GET", f"/v1/webhooks/{segment(identifier)}", identifier=identifier)
    if not response.ok:
        raise response.error(None, identifier)
    found = response.body.get("integration") if isinstance(response.body, dict) else None
    return found if isinstance(found, dict) else {}


def read_port(source: str, port: PortClient) -> SourceText:
    """The ``mappings`` of a ``port:<identifier>`` webhook data source, as a JSON list of rules."""
    from jira_port.port.types import PortAPIError  # noqa: PLC0415 - Port sources only

    identifier = port_identifier(source)
    label = f"mapping {source}"
    try:
        integration = get_webhook(port, identifier)
    except PortAPIError as exc:
        hint = " (the Port credentials need the moderator or admin role)" if exc.status == 403 else ""
        raise _unreadable(label, f"Port answered {exc.status} {exc.error}{hint}") from None
    mappings = integration.get("mappings")
    if not isinstance(mappings, list):
        raise MappingError([MappingProblem(None, "", "the webhook has no mappings list")], label)
    return SourceText(json.dumps(mappings), "json", label)


def read_layer_or_local(source: str | None) -> SourceText:
    """A bundled mapping or a file (a relative path missing here is looked up in the layer folder)."""
    if source and not Path(source).is_absolute() and not Path(source).exists():
        shipped = resources.files("jira_port").joinpath(*LAYER_MAPPINGS, source)
        if shipped.is_file():
            return SourceText(shipped.read_text(encoding="utf-8"), format_of(source), f"mapping {source!r}")
    return SourceText(*read_local(source))


@dataclass(slots=True)
class SourceReader:
    """Reads one source; the S3 and Port clients are made on first use and kept."""

    source: str | None
    s3_factory: Callable[[], S3Client] | None = None
    port_factory: Callable[[], PortClient] | None = None
    _s3: S3Client | None = None
    _port: PortClient | None = None

    def __call__(self) -> SourceText:
        source = self.source
        if source and source.startswith(S3_PREFIX):
            if self._s3 is None:
                self._s3 = (self.s3_factory or _default_s3)()
            return read_s3(source, self._s3)
        if source and source.startswith(PORT_PREFIX):
            if self._port is None:
                self._port = (self.port_factory or _default_port)()
            return read_port(source, self._port)
        return read_layer_or_local(source)

    def close(self) -> None:
        """Release the Port client, if one was made."""
        if self._port is not None:
            self._port.close()
            self._port = None


def _default_s3() -> S3Client:
    import boto3  # noqa: PLC0415 - S3 sources only
    from botocore.config import Config  # noqa: PLC0415

    config = Config(
        connect_timeout=READ_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"mode": "standard", "total_max_attempts": READ_ATTEMPTS},
    )
    client: S3Client = boto3.session.Session().client("s3", config=config)
    return client


def _default_port() -> PortClient:
    from jira_port.port import PortClient  # noqa: PLC0415 - Port sources only
    from jira_port.settings.port import PortSettings  # noqa: PLC0415
    from jira_port.transport import RetryPolicy  # noqa: PLC0415

    settings = PortSettings.from_env()
    timeout = min(settings.timeout_seconds, READ_TIMEOUT_SECONDS)
    policy = RetryPolicy(max_attempts=READ_ATTEMPTS, base_delay=0.2, max_delay=0.5, max_server_delay=1.0)
    return PortClient(replace(settings, timeout_seconds=timeout), policy=policy)


def problem_records(exc: MappingError) -> list[dict[str, Any]]:
    """The problems of ``exc`` as log fields (rule, field, problem)."""
    return [{"rule": p.rule, "field": p.field, "problem": p.message} for p in exc.problems]


class MappingProvider:
    """The current compiled mapping of one source; remote sources are re-read every ``refresh_seconds``.

    Callers evaluate with ``current()``, which a ``CompiledMapping`` also answers (with itself), so the
    live path and the backfill take either.
    """

    def __init__(
        self,
        read: Callable[[], SourceText],
        compile_text: Callable[[SourceText], CompiledMapping],
        *,
        refresh_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read
        self._compile = compile_text
        self._refresh = refresh_seconds
        self._clock = clock
        self._lock = threading.Lock()
        fetched = read()  # a cold start without a good mapping raises here
        self._mapping = compile_text(fetched)
        self._text = fetched.text
        self._due = clock() + (refresh_seconds or 0.0)
        self.reload_failures = 0
        #: The current mapping (callers evaluate ``provider.current()``). A source that is never re-read
        #: answers with its mapping's own ``current``: a warm request does not enter this module.
        self.current: Callable[[], CompiledMapping] = self._mapping.current
        if refresh_seconds is not None:
            self.current = self._refreshed

    def _refreshed(self) -> CompiledMapping:
        """The last good mapping, re-read first when the refresh interval has passed (one thread re-reads
        while the others keep using the current mapping)."""
        if self._clock() >= self._due and self._lock.acquire(blocking=False):
            try:
                self._reload()
            finally:
                self._lock.release()
        return self._mapping

    def _reload(self) -> None:
        self._due = self._clock() + (self._refresh or 0.0)
        try:
            fetched = self._read()
            if fetched.text == self._text:
                return
            mapping = self._compile(fetched)
        except MappingError as exc:
            self._failed(exc.source, problem_records(exc))
            return
        except Exception as exc:  # a network or service failure: keep mapping with the last good one
            self._failed("mapping source", [{"rule": None, "field": "", "problem": type(exc).__name__}])
            return
        self._mapping, self._text = mapping, fetched.text
        logger.info("mapping reloaded", extra={"mapping_source": fetched.label, "rules": len(mapping.rules)})

    def _failed(self, source: str, problems: list[dict[str, Any]]) -> None:
        self.reload_failures += 1
        metrics.add_metric(name=RELOAD_FAILED_METRIC, unit=MetricUnit.Count, value=1)
        logger.error(
            "mapping reload failed; keeping the last good mapping",
            extra={"mapping_source": source, "problems": problems},
        )

    def close(self) -> None:
        """Release the reader's clients (``read``'s ``close``, when it has one)."""
        close = getattr(self._read, "close", None)
        if callable(close):
            close()
