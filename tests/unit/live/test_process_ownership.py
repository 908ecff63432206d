"""Live deletes follow the ownership rule: only entities this deployment wrote are deleted."""

from __future__ import annotations

import logging
from typing import Any, cast

import pytest

from jira_port.live.guard import VersionGuard
from jira_port.live.outcome import TransientSyncError
from jira_port.live.process import LiveProcessor
from jira_port.live.queue import PayloadStore
from jira_port.mapping import CompiledMapping
from jira_port.state import DynamoTable, OwnershipLedger, StateError
from tests.integration.live.resources import BUCKET, TABLE
from tests.unit.live.test_process import FakeMapping, FakePort, aws, message

__all__ = ["aws"]  # the moto fixture, shared with test_process


class FlakyTable(DynamoTable):
    """The state table, failing reads of the ledger while ``broken``."""

    broken = False

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        if self.broken and pk.startswith("owned#"):
            raise StateError("DynamoDB GetItem on state failed: ProvisionedThroughputExceededException")
        return super().get(pk, sk)


@pytest.fixture
def table(aws: tuple[Any, Any]) -> FlakyTable:
    return FlakyTable(TABLE, aws[0])


@pytest.fixture
def port() -> FakePort:
    return FakePort()


@pytest.fixture
def processor(aws: tuple[Any, Any], port: FakePort, table: FlakyTable) -> LiveProcessor:
    ddb, s3 = aws
    return LiveProcessor(
        mapping=cast(CompiledMapping, FakeMapping()),
        apply=port,
        guard=VersionGuard(ddb, TABLE),
        payloads=PayloadStore(s3, BUCKET),
        jira_base_url="https://acme.atlassian.net",
        ownership=OwnershipLedger(table),
    )


def test_upserts_are_recorded_and_their_delete_applies_and_is_forgotten(
    processor: LiveProcessor, port: FakePort, table: FlakyTable
) -> None:
    processor.process(message("A-1", 100))
    assert OwnershipLedger(table).owns("jiraIssue", "A-1")

    assert processor.process(message("A-1", 200, op="delete")).written == 1

    assert "A-1" not in port.entities and not OwnershipLedger(table).owns("jiraIssue", "A-1")


def test_a_delete_of_an_entity_someone_else_wrote_is_logged_counted_and_not_applied(
    processor: LiveProcessor,
    port: FakePort,
    log_records: list[logging.LogRecord],
) -> None:
    port.entities["THEIRS-1"] = {"identifier": "THEIRS-1"}

    result = processor.process(message("THEIRS-1", 200, op="delete"))

    assert result.written == 0 and port.entities == {"THEIRS-1": {"identifier": "THEIRS-1"}}
    assert all(a.operation != "delete" for call in port.calls for a in call)
    skipped = [r for r in log_records if r.getMessage().startswith("delete skipped")]
    assert len(skipped) == 1 and getattr(skipped[0], "identifier", None) == "THEIRS-1"


def test_an_unreadable_ledger_fails_the_message_transiently_and_deletes_nothing(
    processor: LiveProcessor, port: FakePort, table: FlakyTable
) -> None:
    processor.process(message("A-1", 100))
    table.broken = True

    with pytest.raises(TransientSyncError, match="ownership ledger unreadable"):
        processor.process(message("A-1", 200, op="delete"))

    assert "A-1" in port.entities
    table.broken = False
    assert processor.process(message("A-1", 200, op="delete")).written == 1
