"""Build a ``BackfillService`` from the environment: the Lambda's and the CLI's only set-up code.

State: ``STATE_TABLE`` (DynamoDB) when set, else a local JSON file (``--state``, default
``.jira-port/state.json``). The version guard is used whenever the state table is, so a backfill
never overwrites a newer live change. A dry run keeps its state in memory, prints the actions
instead of writing them, and needs no Port credentials.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import boto3
from botocore.config import Config

from jira_port.backfill.continuation import Continuation, LambdaContinuation, RecordingContinuation
from jira_port.backfill.deps import ApplyFn, JiraSource, MappingLike, VersionGuardLike
from jira_port.backfill.dynamo import DynamoTable
from jira_port.backfill.mapper import BackfillMapper
from jira_port.backfill.partitions import scope_restriction
from jira_port.backfill.runner import PipelineOptions, ProgressListener
from jira_port.backfill.service import BackfillDeps, BackfillService
from jira_port.backfill.state import BackfillStore
from jira_port.backfill.tables import FileTable, ItemTable, MemoryTable
from jira_port.backfill.writer import DryRunApply, PageWriter
from jira_port.errors import ConfigError
from jira_port.settings.backfill import BackfillSettings
from jira_port.settings.jira import JiraSettings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from jira_port.port import PortClient

DEFAULT_STATE_FILE = Path(".jira-port") / "state.json"
AWS_CONFIG = Config(connect_timeout=5, read_timeout=20, retries={"mode": "standard", "total_max_attempts": 8})


@dataclass(slots=True)
class LocalOptions:
    """What the CLI may change on top of the environment."""

    jql: str | None = None
    mapping: str | None = None
    state_file: Path | None = None
    dry_run: bool = False
    out: TextIO | None = None
    progress: ProgressListener | None = None


def build_service(
    local: LocalOptions | None = None,
    *,
    continuation: Continuation | None = None,
    env: dict[str, str] | None = None,
) -> BackfillService:
    """The backfill configured by ``env`` (default ``os.environ``) and ``local`` options."""
    from jira_port.jira import JiraClient  # noqa: PLC0415 - heavy imports only when building
    from jira_port.mapping import load_mapping  # noqa: PLC0415
    from jira_port.port import PortClient  # noqa: PLC0415
    from jira_port.settings.mapping import MappingSettings, load_configured_mapping  # noqa: PLC0415
    from jira_port.settings.port import PortSettings  # noqa: PLC0415

    local = local or LocalOptions()
    source = dict(os.environ) if env is None else env
    settings = BackfillSettings.from_env(source)
    jira_settings = JiraSettings.from_env(source)
    mapping = (
        load_mapping(local.mapping)
        if local.mapping
        else load_configured_mapping(MappingSettings.from_env(source))
    )
    # Each partition reader holds one Jira connection: size the pool for all of them.
    jira = JiraClient.from_settings(
        jira_settings, max_concurrency=max(jira_settings.max_concurrency, settings.partition_concurrency)
    )
    port = None if local.dry_run else PortClient(PortSettings.from_env(source))
    guard: VersionGuardLike | None = None
    table: ItemTable
    if local.dry_run:
        table = MemoryTable()
    elif settings.state_table and local.state_file is None:
        ddb = _dynamodb()
        table = DynamoTable(settings.state_table, ddb)
        guard = _guard(ddb, settings.state_table)
    else:
        table = FileTable(local.state_file or DEFAULT_STATE_FILE, log_ttl_days=settings.state_ttl_days)
    return assemble(
        settings,
        jira_settings,
        jira=jira,
        mapping=mapping,
        table=table,
        continuation=continuation or _continuation(source),
        port=port,
        guard=guard,
        local=local,
    )


def assemble(
    settings: BackfillSettings,
    jira_settings: JiraSettings,
    *,
    jira: JiraSource,
    mapping: MappingLike,
    table: ItemTable,
    continuation: Continuation,
    port: PortClient | None,
    guard: VersionGuardLike | None = None,
    local: LocalOptions | None = None,
) -> BackfillService:
    """Wire already-built clients into a service (``port=None`` = dry run: actions are printed)."""
    from jira_port.ownership import OwnershipLedger  # noqa: PLC0415
    from jira_port.port.apply import apply_actions  # noqa: PLC0415

    local = local or LocalOptions()
    ledger = None if port is None else OwnershipLedger(table)
    apply: ApplyFn = (
        DryRunApply(local.out or sys.stdout) if port is None else partial(apply_actions, port=port)
    )
    mapper = BackfillMapper(mapping, jira_settings.base_url)
    # issue 14: ask Jira only for the fields (and expands) the mapping reads, unless JIRA_FIELDS says
    fields, expand = mapper.issue_request(
        None if jira_settings.derives_fields else jira_settings.field_list, jira_settings.expand
    )
    deps = BackfillDeps(
        jira=jira,
        mapper=mapper,
        writer=PageWriter(apply, guard, ledger),
        store=BackfillStore(table, ttl_days=settings.state_ttl_days),
        continuation=continuation,
        settings=settings,
        scope=scope_restriction(local.jql if local.jql is not None else jira_settings.jql),
        options=PipelineOptions(
            concurrency=settings.partition_concurrency,
            fields=fields,
            expand=expand,
            page_size=jira_settings.page_size,
            max_attempts=settings.partition_max_attempts,
        ),
        port=port,
        guard=guard,
        progress=local.progress,
        reconcile_enabled=port is not None,
        ledger=ledger,
    )
    return BackfillService(deps)


def _dynamodb() -> DynamoDBClient:
    client: DynamoDBClient = boto3.session.Session().client("dynamodb", config=AWS_CONFIG)
    return client


def _guard(ddb: DynamoDBClient, table: str) -> VersionGuardLike:
    from jira_port.live.guard import VersionGuard  # noqa: PLC0415

    return VersionGuard(ddb, table)


def _continuation(env: dict[str, str]) -> Continuation:
    name = env.get("AWS_LAMBDA_FUNCTION_NAME")
    if name:
        return LambdaContinuation(name, boto3.session.Session().client("lambda", config=AWS_CONFIG))
    return RecordingContinuation()


def require_lambda_env(env: dict[str, str] | None = None) -> None:
    """The Lambda keeps its state in DynamoDB: refuse to start without ``STATE_TABLE``."""
    source = os.environ if env is None else env
    if not source.get("STATE_TABLE"):
        raise ConfigError("STATE_TABLE is not set (the DynamoDB table holding backfill state)")
