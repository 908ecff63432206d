"""One queued delivery -> map -> guard -> apply: outcomes, guard bookkeeping, payload pointers."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, cast

import boto3
import pytest
from moto import mock_aws

from jira_port.errors import is_transient
from jira_port.live.guard import GuardState, VersionGuard
from jira_port.live.outcome import PermanentSyncError, TransientSyncError
from jira_port.live.process import LiveProcessor
from jira_port.live.queue import Envelope, PayloadStore
from jira_port.mapping import CompiledMapping, MappingResult
from jira_port.mapping.bounded import EvaluationLimits
from jira_port.mapping.evaluate import MappingLimitError
from jira_port.mapping.model import Event
from jira_port.port.apply import ActionOutcome, ApplyResult
from jira_port.port.types import Action, EntityFailure
from jira_port.state import DynamoTable, OwnershipLedger
from tests.integration.live.resources import BUCKET, TABLE
from tests.support.aws import create_state_table


class FakeMapping:
    """Maps ``{"key", "op"}`` bodies to one jiraIssue action; records what it saw."""

    def __init__(self) -> None:
        self.seen: list[tuple[dict[str, Any], dict[str, str], str | None]] = []
        self.batches: list[int] = []

    def evaluate(
        self,
        body: Any,
        headers: Mapping[str, str] | None = None,
        query_params: Mapping[str, str] | None = None,
        *,
        jira_base_url: str | None = None,
        raw_body: str | None = None,
    ) -> list[Action]:
        assert raw_body is None or json.loads(raw_body) == body  # the text the body was parsed from
        self.seen.append((body, dict(headers or {}), jira_base_url))
        if "key" not in body:
            return []
        entity = {"identifier": body["key"], "properties": {"v": body["timestamp"]}}
        return [Action(body.get("op", "upsert"), "jiraIssue", entity)]

    def evaluate_detailed(self, body: Any, *args: Any, **kwargs: Any) -> MappingResult:
        return MappingResult(self.evaluate(body, *args, **kwargs))

    def relevant(self, body: Any, *args: Any, **kwargs: Any) -> bool:
        return True

    def current(self) -> FakeMapping:
        return self

    def evaluate_each(
        self, events: Sequence[Event], *, jira_base_url: str | None = None
    ) -> list[MappingResult | MappingLimitError]:
        self.batches.append(len(events))
        return [
            MappingLimitError(None, None, "time", EvaluationLimits())
            if e.body.get("key") == "RUN-1"
            else self.evaluate_detailed(e.body, e.headers, e.query_params, jira_base_url=jira_base_url)
            for e in events
        ]


class FakePort:
    """Applies actions to a dict, failing identifiers listed in ``fail`` (status -> transient or not)."""

    def __init__(self) -> None:
        self.entities: dict[str, dict[str, Any]] = {}
        self.fail: dict[str, int] = {}
        self.calls: list[list[Action]] = []

    def __call__(self, actions: Sequence[Action], /) -> ApplyResult:
        self.calls.append(list(actions))
        outcome = ApplyResult()
        for action in actions:
            status = self.fail.get(action.identifier)
            failure = None
            if status is not None:
                failure = EntityFailure(
                    action.blueprint,
                    action.identifier,
                    action.operation,
                    status,
                    "err",
                    "msg",
                    status >= 500,
                )
                outcome.failures.append(failure)
            outcome.outcomes.append(ActionOutcome(action, failure))
            if failure is not None:
                continue
            if action.operation == "delete":
                self.entities.pop(action.identifier, None)
            else:
                self.entities[action.identifier] = action.entity
        return outcome


@pytest.fixture
def aws(aws_env: None) -> Iterator[tuple[Any, Any]]:
    with mock_aws():
        ddb, s3 = boto3.client("dynamodb"), boto3.client("s3")
        create_state_table(ddb, TABLE)
        s3.create_bucket(Bucket=BUCKET)
        yield ddb, s3


@pytest.fixture
def port() -> FakePort:
    return FakePort()


@pytest.fixture
def mapping() -> FakeMapping:
    return FakeMapping()


@pytest.fixture
def processor(aws: tuple[Any, Any], port: FakePort, mapping: FakeMapping) -> LiveProcessor:
    ddb, s3 = aws
    return LiveProcessor(
        mapping=cast(CompiledMapping, mapping),  # a stand-in: maps the test's tiny bodies
        apply=port,
        guard=VersionGuard(ddb, TABLE),
        payloads=PayloadStore(s3, BUCKET),
        jira_base_url="https://acme.atlassian.net",
        ownership=OwnershipLedger(DynamoTable(TABLE, ddb)),
    )


def message(key: str, timestamp: int, op: str = "upsert", **headers: str) -> str:
    raw = json.dumps({"key": key, "timestamp": timestamp, "op": op}).encode()
    return Envelope.for_body(
        raw,
        dedupe_id=f"{key}-{timestamp}",
        group_id=f"issue:{key}",
        received_at_ms=1,
        headers=headers,
        query={},
    ).to_json()


def test_applies_and_records(
    processor: LiveProcessor, port: FakePort, mapping: FakeMapping, aws: Any
) -> None:
    result = processor.process(message("A-1", 100, **{"X-Jira-Port-Source": "backfill", "User-Agent": "ua"}))
    assert (result.actions, result.written, result.stale) == (1, 1, 0)
    assert port.entities["A-1"]["properties"] == {"v": 100}
    # the mapping sees live headers (a sender cannot pose as the backfill) and the configured base URL
    _, headers, base = mapping.seen[-1]
    assert headers == {"user-agent": "ua", "x-jira-port-source": "webhook"}
    assert base == "https://acme.atlassian.net"
    assert VersionGuard(aws[0], TABLE).current("jiraIssue", "A-1") == GuardState(100, False)


def test_older_and_duplicate_events(processor: LiveProcessor, port: FakePort) -> None:
    processor.process(message("A-1", 200))
    stale = processor.process(message("A-1", 150))
    assert (stale.written, stale.stale) == (0, 1)
    assert port.entities["A-1"]["properties"] == {"v": 200}
    again = processor.process(message("A-1", 200))  # Jira's retry 10 minutes later
    assert again.written == 1


def test_delete_then_late_update_stays_deleted(processor: LiveProcessor, port: FakePort) -> None:
    processor.process(message("A-1", 100))
    processor.process(message("A-1", 300, op="delete"))
    late = processor.process(message("A-1", 200))
    assert late.stale == 1
    assert "A-1" not in port.entities


def test_transient_failure_raises_and_does_not_advance_the_guard(
    processor: LiveProcessor, port: FakePort, aws: Any
) -> None:
    processor.process(message("A-1", 100))
    port.fail["A-1"] = 503
    with pytest.raises(TransientSyncError, match="jiraIssue/A-1 upsert HTTP 503") as caught:
        processor.process(message("A-1", 200))
    assert is_transient(caught.value)  # the one notion of transient (jira_port.errors) agrees
    assert VersionGuard(aws[0], TABLE).current("jiraIssue", "A-1") == GuardState(100, False)
    # an older duplicate arriving meanwhile still applies (Port holds v100) ...
    port.fail.clear()
    assert processor.process(message("A-1", 100)).written == 1
    # ... and the redelivery of v200 succeeds
    assert processor.process(message("A-1", 200)).written == 1
    assert port.entities["A-1"]["properties"] == {"v": 200}


def test_permanent_failure_raises_with_a_structured_log(
    processor: LiveProcessor, port: FakePort, log_records: list[logging.LogRecord]
) -> None:
    port.fail["BAD-1"] = 422
    with pytest.raises(PermanentSyncError, match="Port rejected 1 entities") as caught:
        processor.process(message("BAD-1", 100), message_id="m-1", receive_count=3)
    assert not is_transient(caught.value)
    record = next(r for r in log_records if r.getMessage() == "Port rejected an entity")
    assert record.failure["status"] == 422 and record.failure["identifier"] == "BAD-1"  # type: ignore[attr-defined]
    assert record.message_id == "m-1" and record.receive_count == 3  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "text",
    ["garbage", json.dumps({"v": 1, "id": "x", "group": "g", "receivedAt": 1, "body": "not json"})],
)
def test_unprocessable_messages_are_permanent(processor: LiveProcessor, text: str) -> None:
    with pytest.raises(PermanentSyncError):
        processor.process(text)


def test_events_no_rule_maps_are_fine(processor: LiveProcessor, port: FakePort) -> None:
    raw = b'{"webhookEvent": "comment_created", "timestamp": 1}'
    text = Envelope.for_body(
        raw, dedupe_id="d", group_id="g", received_at_ms=1, headers={}, query={}
    ).to_json()
    assert processor.process(text).actions == 0
    assert port.calls == []


def test_pointer_is_read_verified_and_deleted_after_success(
    processor: LiveProcessor, port: FakePort, aws: Any
) -> None:
    _, s3 = aws
    raw = json.dumps({"key": "BIG-1", "timestamp": 5, "pad": "x" * 1000}).encode()
    envelope = Envelope.for_body(
        raw, dedupe_id="d1", group_id="issue:BIG-1", received_at_ms=1, headers={}, query={}
    )
    pointer = PayloadStore(s3, BUCKET).put(raw, dedupe_id="d1", request_id="r1")
    assert processor.process(envelope.with_pointer(pointer).to_json()).written == 1
    assert port.entities["BIG-1"]["properties"] == {"v": 5}
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0


def test_pointer_is_kept_when_the_write_fails(processor: LiveProcessor, port: FakePort, aws: Any) -> None:
    _, s3 = aws
    raw = json.dumps({"key": "BIG-1", "timestamp": 5}).encode()
    envelope = Envelope.for_body(
        raw, dedupe_id="d1", group_id="issue:BIG-1", received_at_ms=1, headers={}, query={}
    )
    pointer = PayloadStore(s3, BUCKET).put(raw, dedupe_id="d1", request_id="r1")
    port.fail["BIG-1"] = 500
    with pytest.raises(TransientSyncError):
        processor.process(envelope.with_pointer(pointer).to_json())
    assert s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 1


def test_missing_payload_is_acknowledged_with_an_error_log(
    processor: LiveProcessor, log_records: list[logging.LogRecord], aws: Any
) -> None:
    _, s3 = aws
    raw = b'{"key": "GONE-1", "timestamp": 5}'
    envelope = Envelope.for_body(raw, dedupe_id="d2", group_id="g", received_at_ms=1, headers={}, query={})
    pointer = PayloadStore(s3, BUCKET).put(raw, dedupe_id="d2", request_id="r2")
    s3.delete_object(Bucket=BUCKET, Key=pointer.key)
    assert processor.process(envelope.with_pointer(pointer).to_json()).payload_missing
    assert any(r.levelno == logging.ERROR and "gone" in r.getMessage() for r in log_records)


def test_tampered_payload_is_permanent(processor: LiveProcessor, aws: Any) -> None:
    _, s3 = aws
    raw = b'{"key": "T-1", "timestamp": 5}'
    envelope = Envelope.for_body(raw, dedupe_id="d3", group_id="g", received_at_ms=1, headers={}, query={})
    pointer = PayloadStore(s3, BUCKET).put(raw, dedupe_id="d3", request_id="r3")
    s3.put_object(Bucket=BUCKET, Key=pointer.key, Body=b'{"key": "T-1", "timestamp": 6}')
    with pytest.raises(PermanentSyncError, match="does not match"):
        processor.process(envelope.with_pointer(pointer).to_json())


def test_unexpected_errors_are_logged_and_reraised(
    processor: LiveProcessor, port: FakePort, log_records: list[logging.LogRecord]
) -> None:
    def explode(actions: Sequence[Action], /) -> ApplyResult:
        raise RuntimeError("connection pool exhausted")

    processor._apply = explode  # the Port client blew up
    with pytest.raises(RuntimeError):
        processor.process_record(message("A-1", 100), message_id="m-9", receive_count=1)
    record = next(r for r in log_records if r.getMessage().startswith("message failed unexpectedly"))
    assert record.message_id == "m-9" and record.exc_info is not None  # type: ignore[attr-defined]
    with pytest.raises(PermanentSyncError):
        processor.process_record("garbage")


def test_a_premapped_batch_is_mapped_once_and_a_runaway_fails_alone(
    processor: LiveProcessor, port: FakePort, mapping: FakeMapping
) -> None:
    messages = [message("A-1", 100), message("RUN-1", 100), message("B-1", 100), "not an envelope"]
    processor.premap(messages)
    assert mapping.batches == [3]  # the three envelopes in one round trip; the odd one left to process
    seen = len(mapping.seen)
    assert processor.process(messages[0]).written == 1
    with pytest.raises(PermanentSyncError, match="mapping bound exceeded"):
        processor.process(messages[1])
    assert processor.process(messages[2]).written == 1
    assert len(mapping.seen) == seen  # nothing mapped again
    with pytest.raises(PermanentSyncError, match="not a jira-port envelope"):
        processor.process(messages[3])
    assert set(port.entities) == {"A-1", "B-1"}
    # the next batch starts afresh: a message of an earlier batch is mapped again when redelivered
    processor.premap([message("C-1", 100)])
    processor.process(messages[0])
    assert len(mapping.seen) == seen + 1
