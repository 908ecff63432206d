"""The backfill run locally (``jira-port backfill``, the demo, benchmarks, tests): the layer's
``compose`` plus local parts.

State: ``STATE_TABLE`` (DynamoDB, with the version guard, so a backfill never overwrites a newer live
change) when set and no ``--state`` file is given, else a local JSON file (default
``.jira-port/state.json``). A dry run keeps its state in memory, prints the actions instead of writing
them and needs no Port credentials. A run that runs out of time continues in process: the
``RecordingContinuation`` keeps the next invocation's input and ``run_to_end`` loops on it.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from jira_port.backfill.report import ProgressListener
from jira_port.backfill.runtime import BackfillRequest, aws_config, compose, jira_client
from jira_port.port.apply import ApplyResult
from jira_port.port.types import Action
from jira_port.settings.backfill import BackfillSettings
from jira_port.settings.jira import JiraSettings
from jira_port.state import DynamoTable, ItemTable
from jira_port_tools.state_file import FileTable, MemoryTable

if TYPE_CHECKING:
    from jira_port.backfill.report import BackfillSummary
    from jira_port.backfill.service import BackfillService, Continuation
    from jira_port.live.guard import VersionGuard

DEFAULT_STATE_FILE = Path(".jira-port") / "state.json"


@dataclass(slots=True)
class LocalOptions:
    """What the CLI may change on top of the environment."""

    jql: str | None = None
    mapping: str | None = None
    state_file: Path | None = None
    dry_run: bool = False
    out: TextIO | None = None
    progress: ProgressListener | None = None


class RecordingContinuation:
    """Keeps the payloads instead of invoking anything: the CLI loops on them, tests inspect them."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, str]] = []

    def continue_run(self, payload: dict[str, str]) -> None:
        """Keep ``payload`` for the in-process loop."""
        self.payloads.append(dict(payload))

    def take(self) -> dict[str, str] | None:
        """The oldest payload not yet taken, if any."""
        return self.payloads.pop(0) if self.payloads else None


class DryRunApply:
    """Prints each action as one JSON line (``Action.to_json()``) instead of writing it to Port."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._lock = threading.Lock()

    def __call__(self, actions: list[Action]) -> ApplyResult:
        lines = "".join(json.dumps(a.to_json(), ensure_ascii=False, sort_keys=True) + "\n" for a in actions)
        with self._lock:
            self.out.write(lines)
            self.out.flush()
        upserts = sum(1 for a in actions if a.operation == "upsert")
        return ApplyResult(upserted=upserts, deleted=len(actions) - upserts)


def build_local(
    local: LocalOptions | None = None,
    *,
    continuation: Continuation | None = None,
    env: dict[str, str] | None = None,
) -> BackfillService:
    """The backfill configured by ``env`` (default ``os.environ``) and ``local`` options."""
    from jira_port.live.guard import VersionGuard
    from jira_port.port import PortClient
    from jira_port.settings.mapping import MappingSettings, mapping_provider
    from jira_port.settings.port import PortSettings

    local = local or LocalOptions()
    source = dict(os.environ) if env is None else env
    settings = BackfillSettings.from_env(source)
    jira_settings = JiraSettings.from_env(source)
    # Re-read every MAPPING_REFRESH_SECONDS when it lives in S3 or Port: an edit reaches the next page.
    mapping = mapping_provider(MappingSettings.from_env(source).with_source(local.mapping))
    port = None if local.dry_run else PortClient(PortSettings.from_env(source))
    guard: VersionGuard | None = None
    table: ItemTable
    if local.dry_run:
        table = MemoryTable()
    elif settings.state_table and local.state_file is None:
        import boto3

        ddb = boto3.session.Session().client("dynamodb", config=aws_config())
        table = DynamoTable(settings.state_table, ddb)
        guard = VersionGuard(ddb, settings.state_table)
    else:
        table = FileTable(local.state_file or DEFAULT_STATE_FILE, log_ttl_days=settings.state_ttl_days)
    return compose(
        settings,
        jira_settings,
        jira=jira_client(settings, jira_settings),
        mapping=mapping,
        table=table,
        continuation=continuation or RecordingContinuation(),
        port=port,
        apply=DryRunApply(local.out or sys.stdout) if port is None else None,
        guard=guard,
        jql=local.jql,
        progress=local.progress,
    )


def run_to_end(service: BackfillService, continuation: RecordingContinuation, mode: str) -> BackfillSummary:
    """Invoke ``service`` for ``mode`` and follow its continuations in process until the run ends."""
    summary = service.invoke(BackfillRequest.parse({"mode": mode}))
    while (payload := continuation.take()) is not None:
        summary = service.invoke(BackfillRequest.parse(payload))
    return summary
