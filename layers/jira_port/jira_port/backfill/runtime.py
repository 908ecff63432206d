"""The backfill function's composition root: its input, one settings model in, one ``BackfillService`` out.

``build_backfill(settings)`` is what the Lambda runs: run state, ownership ledger and version guard in
the DynamoDB state table, Port writes through the one apply step, continuation by asynchronous
self-invocation. ``compose`` wires already-built parts; the CLI (``jira_port_tools.backfill_local``)
and the tests call it with their local parts (a state file, a dry-run apply, an in-process loop).
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from jira_port.backfill.mapper import BackfillMapper
from jira_port.backfill.pages import ApplyFn, PageWriter
from jira_port.backfill.partitions import PipelineOptions, scope_restriction
from jira_port.backfill.report import ProgressListener
from jira_port.backfill.service import BackfillService, Continuation
from jira_port.backfill.store import MODES, BackfillStore, Mode
from jira_port.errors import ConfigError, JiraPortError, aws_error_code
from jira_port.settings.backfill import BackfillSettings
from jira_port.settings.jira import JiraSettings
from jira_port.settings.mapping import MappingSettings
from jira_port.settings.port import PortSettings
from jira_port.state import DynamoTable

if TYPE_CHECKING:
    from botocore.config import Config

    from jira_port.jira import JiraClient
    from jira_port.live.guard import VersionGuard
    from jira_port.mapping import CompiledMapping
    from jira_port.mapping.source import MappingProvider
    from jira_port.port import PortClient
    from jira_port.state import ItemTable


@functools.cache
def aws_config() -> Config:
    """The AWS clients' timeouts and retries (botocore is imported only when an AWS client is built)."""
    from botocore.config import Config  # noqa: PLC0415 - boto3/botocore only where AWS is used

    return Config(connect_timeout=5, read_timeout=20, retries={"mode": "standard", "total_max_attempts": 8})


class InvalidRequestError(JiraPortError):
    """The invocation input is not ``{"mode": "full" | "incremental", "runId"?: str}``."""


@dataclass(frozen=True, slots=True)
class BackfillRequest:
    """A validated invocation input."""

    mode: Mode
    run_id: str | None = None

    @classmethod
    def parse(cls, event: Any) -> BackfillRequest:
        """Validate a scheduler / manual / continuation input; raises ``InvalidRequestError``."""
        if not isinstance(event, dict):
            raise InvalidRequestError('backfill input must be a JSON object like {"mode": "incremental"}')
        unknown = sorted(set(event) - {"mode", "runId"})
        if unknown:
            raise InvalidRequestError(f"unknown backfill input keys: {', '.join(map(str, unknown))}")
        mode = event.get("mode")
        if mode not in MODES:
            raise InvalidRequestError(f"backfill mode must be one of {', '.join(MODES)}, got {mode!r}"[:200])
        run_id = event.get("runId")
        if run_id is not None and (not isinstance(run_id, str) or not 0 < len(run_id) <= 100):
            raise InvalidRequestError("runId must be a non-empty string of at most 100 characters")
        return cls(mode=mode, run_id=run_id)

    def payload(self, run_id: str) -> dict[str, str]:
        """The continuation input for ``run_id``."""
        return {"mode": self.mode, "runId": run_id}


class ContinuationError(JiraPortError):
    """The next invocation could not be started (the run resumes on the next schedule)."""


class LambdaContinuation:
    """Asynchronous self-invocation (``InvocationType=Event``) of ``function_name``."""

    def __init__(self, function_name: str, client: Any | None = None) -> None:
        self.function_name = function_name
        if client is None:
            import boto3  # noqa: PLC0415

            client = boto3.client("lambda")
        self._client = client

    def continue_run(self, payload: dict[str, str]) -> None:
        """Start the next invocation with ``payload``; raises ``ContinuationError``."""
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        try:
            self._client.invoke(
                FunctionName=self.function_name,
                InvocationType="Event",
                Payload=json.dumps(payload).encode("utf-8"),
            )
        except (ClientError, BotoCoreError) as exc:
            code = aws_error_code(exc)
            raise ContinuationError(
                f"cannot invoke {self.function_name}: {code or type(exc).__name__}"
            ) from exc


@dataclass(frozen=True, eq=False)
class BackfillFunctionSettings:
    """Everything the backfill function reads from its environment (validated once)."""

    backfill: BackfillSettings
    jira: JiraSettings
    port: PortSettings
    mapping: MappingSettings
    function_name: str
    state_table: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> BackfillFunctionSettings:
        """Read and validate; the Lambda keeps its state in DynamoDB, so ``STATE_TABLE`` is required."""
        source = os.environ if env is None else env
        backfill = BackfillSettings.from_env(source)
        if not backfill.state_table:
            raise ConfigError("STATE_TABLE is not set (the DynamoDB table holding backfill state)")
        name = source.get("AWS_LAMBDA_FUNCTION_NAME", "").strip()
        if not name:
            raise ConfigError(
                "AWS_LAMBDA_FUNCTION_NAME is not set (the function continues a run by invoking itself)"
            )
        return cls(
            backfill=backfill,
            jira=JiraSettings.from_env(source),
            port=PortSettings.from_env(source),
            mapping=MappingSettings.from_env(source),
            function_name=name,
            state_table=backfill.state_table,
        )


@functools.cache
def function_settings() -> BackfillFunctionSettings:
    """The function's settings from ``os.environ``, read once per process."""
    return BackfillFunctionSettings.from_env()


@functools.cache
def build_backfill(settings: BackfillFunctionSettings) -> BackfillService:
    """The Lambda's backfill for ``settings``, built once per settings object."""
    import boto3  # noqa: PLC0415 - heavy imports only when building

    from jira_port.live.guard import VersionGuard  # noqa: PLC0415
    from jira_port.port import PortClient  # noqa: PLC0415
    from jira_port.settings.mapping import mapping_provider  # noqa: PLC0415

    session = boto3.session.Session()
    ddb = session.client("dynamodb", config=aws_config())
    return compose(
        settings.backfill,
        settings.jira,
        jira=jira_client(settings.backfill, settings.jira),
        # Re-read every MAPPING_REFRESH_SECONDS when it lives in S3 or Port: an edit reaches the next page.
        mapping=mapping_provider(settings.mapping),
        table=DynamoTable(settings.state_table, ddb),
        continuation=LambdaContinuation(
            settings.function_name, session.client("lambda", config=aws_config())
        ),
        port=PortClient(settings.port),
        guard=VersionGuard(ddb, settings.state_table),
    )


def jira_client(settings: BackfillSettings, jira_settings: JiraSettings) -> JiraClient:
    """The Jira client, its pool sized so every partition reader holds one connection."""
    from jira_port.jira import JiraClient  # noqa: PLC0415

    return JiraClient.from_settings(
        jira_settings, max_concurrency=max(jira_settings.max_concurrency, settings.partition_concurrency)
    )


def compose(
    settings: BackfillSettings,
    jira_settings: JiraSettings,
    *,
    jira: JiraClient,
    mapping: CompiledMapping | MappingProvider,
    table: ItemTable,
    continuation: Continuation,
    port: PortClient | None,
    apply: ApplyFn | None = None,
    guard: VersionGuard | None = None,
    jql: str | None = None,
    progress: ProgressListener | None = None,
) -> BackfillService:
    """Wire built parts into a service. ``port=None`` is a dry run: ``apply`` (required then) writes,
    nothing is recorded as owned and nothing is reconciled. ``jql`` overrides ``JIRA_JQL``."""
    from jira_port.port.apply import apply_actions  # noqa: PLC0415
    from jira_port.state import OwnershipLedger  # noqa: PLC0415

    if apply is None:
        if port is None:
            raise ValueError("a dry run needs an apply function")
        apply = partial(apply_actions, port=port)
    ledger = None if port is None else OwnershipLedger(table)
    mapper = BackfillMapper(mapping, jira_settings.base_url)
    # Ask Jira only for the fields (and expands) the mapping reads, unless JIRA_FIELDS names them.
    fields, expand = mapper.issue_request(
        None if jira_settings.derives_fields else jira_settings.field_list, jira_settings.expand
    )
    return BackfillService(
        jira=jira,
        mapper=mapper,
        writer=PageWriter(apply, guard, ledger),
        store=BackfillStore(table, ttl_days=settings.state_ttl_days),
        continuation=continuation,
        settings=settings,
        scope=scope_restriction(jql if jql is not None else jira_settings.jql),
        options=PipelineOptions(
            concurrency=settings.partition_concurrency,
            fields=fields,
            expand=expand,
            page_size=jira_settings.page_size,
            max_attempts=settings.partition_max_attempts,
        ),
        port=port,
        guard=guard,
        progress=progress,
        reconcile_enabled=port is not None,
        ledger=ledger,
    )
