"""The ownership ledger on every table kind: record, owns, list, forget; DynamoDB batches and throttling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jira_port.state import DynamoTable, OwnershipLedger, StateError
from jira_port_tools.state_file import FileTable, MemoryTable

from .conftest import TABLE


def exercise(ledger: OwnershipLedger) -> None:
    ledger.record([("jiraIssue", f"A-{n}") for n in range(60)] + [("jiraProject", "A"), ("jiraIssue", "A-1")])
    assert ledger.owns("jiraIssue", "A-59") and ledger.owns("jiraProject", "A")
    assert not ledger.owns("jiraProject", "A-1") and not ledger.owns("jiraIssue", "B-1")
    assert sorted(ledger.identifiers("jiraIssue")) == sorted(f"A-{n}" for n in range(60))
    ledger.forget([("jiraIssue", f"A-{n}") for n in range(30)] + [("jiraIssue", "never-there")])
    assert sorted(ledger.identifiers("jiraIssue")) == sorted(f"A-{n}" for n in range(30, 60))
    assert list(ledger.identifiers("jiraUser")) == []


def test_on_memory_and_file_tables(tmp_path: Path) -> None:
    exercise(OwnershipLedger(MemoryTable()))
    exercise(OwnershipLedger(FileTable(tmp_path / "state.json")))
    reopened = OwnershipLedger(FileTable(tmp_path / "state.json"))
    assert reopened.owns("jiraIssue", "A-30") and not reopened.owns("jiraIssue", "A-0")


def test_on_dynamodb_in_batches_of_25(ddb: Any) -> None:
    exercise(OwnershipLedger(DynamoTable(TABLE, ddb)))


class Throttled:
    """A DynamoDB client whose BatchWriteItem leaves every item unprocessed (sustained throttling)."""

    def __init__(self) -> None:
        self.calls = 0

    def batch_write_item(self, RequestItems: dict[str, list[Any]]) -> dict[str, Any]:
        self.calls += 1
        return {"UnprocessedItems": RequestItems}


def test_sustained_throttling_raises_after_a_few_resends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("jira_port.state.time.sleep", lambda _: None)
    client = Throttled()
    ledger = OwnershipLedger(DynamoTable(TABLE, client))  # type: ignore[arg-type]
    with pytest.raises(StateError, match="unprocessed"):
        ledger.record([("jiraIssue", "A-1")])
    assert client.calls == 6
