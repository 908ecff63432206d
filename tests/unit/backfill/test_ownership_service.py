"""Full runs and the ownership ledger: adoption, other writers, an unwritable ledger."""

from __future__ import annotations

from typing import Any

import pytest

from jira_port.backfill.runtime import BackfillRequest
from jira_port.state import DynamoTable, OwnershipLedger, StateError
from jira_port_tools.state_file import MemoryTable
from jira_port_tools.summary_text import render_summary
from tests.support.lambda_env import FakeLambdaContext, load_handler

from .conftest import TABLE
from .fakes import harness, make_jira
from .test_dynamo_and_handler import emf_metrics

FULL = BackfillRequest("full")


class LedgerOutage(MemoryTable):
    """A state table whose ledger writes fail (throttled) while ``broken``."""

    broken = False

    def put_many(self, pk: str, sks: list[str], data: dict[str, Any]) -> None:
        if self.broken:
            raise StateError("DynamoDB BatchWriteItem on state failed: 2 items unprocessed")
        super().put_many(pk, sks, data)


def test_the_first_run_adopts_what_jira_confirms_and_keeps_what_it_cannot_vouch_for():
    h = harness(jira=make_jira(projects=1, per_project=4))
    h.port.entities["jiraIssue"] = {"P0-1": {}, "OLD-9": {}}  # written by a version without the ledger

    summary = h.service().invoke(FULL)

    assert summary.status == "succeeded" and h.port.deleted == []
    assert summary.reconciliation is not None and summary.reconciliation["keptNotOwned"] == 1
    ledger = OwnershipLedger(h.table)
    assert ledger.owns("jiraIssue", "P0-1") and not ledger.owns("jiraIssue", "OLD-9")
    assert sorted(ledger.identifiers("jiraIssue")) == ["P0-1", "P0-2", "P0-3", "P0-4"]


def test_an_unwritable_ledger_stops_the_run_before_any_delete_and_the_next_invocation_resumes():
    table = LedgerOutage()
    h = harness(jira=make_jira(projects=2, per_project=5))
    assert h.service(table=table).invoke(FULL).status == "succeeded"
    h.jira.issues["10000"] = h.jira.issues["10000"][:4]  # P0-5 deleted in Jira
    table.broken = True

    with pytest.raises(StateError, match="BatchWriteItem"):
        h.service(table=table).invoke(FULL)

    assert h.port.deleted == []
    table.broken = False
    summary = h.service(table=table).invoke(FULL)
    assert summary.status == "succeeded", render_summary(summary)
    assert h.port.deleted == [("jiraIssue", "P0-5")]


def test_the_handler_counts_entities_kept_as_not_owned(
    ddb: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
):
    module = load_handler("backfill")
    h = harness(jira=make_jira(projects=1, per_project=2))
    h.port.entities["jiraIssue"] = {"THEIRS-1": {}, "THEIRS-2": {}, "THEIRS-3": {}}
    service = h.service(table=DynamoTable(TABLE, ddb))
    monkeypatch.setattr(module, "service", lambda: service)

    response = module.lambda_handler({"mode": "full"}, FakeLambdaContext())

    metrics = emf_metrics(capsys.readouterr().out)
    assert response["ok"] is True and response["reconciliation"]["keptNotOwned"] == 3
    assert metrics["KeptNotOwned"] == [3] and "ReconciliationSkipped" not in metrics
    assert len(h.port.ids("jiraIssue")) == 5
