"""The sync function's core: an SQS FIFO batch of queued deliveries -> map -> version guard -> Port.

``premap_batch`` maps the batch's inline bodies in one jq worker round trip, under the per-event bound
once; past it each event is mapped again under its own (``CompiledMapping.evaluate_each``), so a runaway
fails alone. ``process_fifo_batch`` then runs the records in order with Powertools'
``SqsFifoPartialProcessor(skip_group_on_error=True)`` rule (its import cost ~200 ms of cold start): a failed
record's later group mates (one Jira entity) are reported failed unrun, other groups carry on, a record
without a group fails alone; all failed raises ``BatchFailedError``. ``LiveProcessor.process`` handles one
message (a body in S3 or a bad envelope is read and reported there); how it ends is in ``live.outcome``.

Actions Port accepted advance the guard even when others failed: the redelivery re-applies them at the same
version (idempotent). Ownership (``jira_port.state``): every accepted upsert is recorded in the ledger; a
delete is applied only to an entity the ledger says this deployment wrote, else logged and counted
(``DeletesNotOwned``). A ledger that cannot be read or written fails the message transiently: a delete is
never applied unchecked.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jira_port.errors import JiraPortError
from jira_port.live.guard import VersionGuard, action_version
from jira_port.live.outcome import (
    ProcessResult,
    SyncError,
    TransientSyncError,
    describe,
    fail_permanently,
    log_unexpected,
    raise_write_failures,
    skip_missing_payload,
)
from jira_port.live.queue import (
    Envelope,
    EnvelopeError,
    PayloadCorruptError,
    PayloadMissingError,
    PayloadStore,
    body_text,
    mapping_headers,
)
from jira_port.mapping.evaluate import CompiledMapping, MappingLimitError, log_warnings
from jira_port.mapping.model import Event, MappingResult
from jira_port.mapping.source import MappingProvider
from jira_port.observability import MetricUnit, logger, metrics, traced
from jira_port.port.apply import moved_away_deletions
from jira_port.port.types import Action

if TYPE_CHECKING:
    from jira_port.port.apply import ApplyResult
    from jira_port.state import OwnershipLedger

#: One record's work: body, message id, receive count; raising marks the record failed.
RecordHandler = Callable[[str, str, int], None]


class BatchFailedError(JiraPortError):
    """Every record of the batch failed (the invocation fails; SQS redelivers the whole batch)."""


@dataclass(slots=True)
class Delivery:
    """A queued delivery, read and parsed; ``mapped``: its mapping result when ``premap`` made it."""

    envelope: Envelope
    raw: bytes
    body: dict[str, Any]
    mapped: MappingResult | MappingLimitError | None = None


class LiveProcessor:
    """Maps and applies queued deliveries; one instance per warm container."""

    def __init__(
        self,
        *,
        mapping: CompiledMapping | MappingProvider,
        apply: Callable[[Sequence[Action]], ApplyResult],
        guard: VersionGuard,
        payloads: PayloadStore | None,
        jira_base_url: str | None,
        ownership: OwnershipLedger,
    ) -> None:
        self._mapping, self._apply, self._guard, self._ownership = mapping, apply, guard, ownership
        self._payloads, self._jira_base_url = payloads, jira_base_url
        self._premapped: dict[str, Delivery] = {}

    def close(self) -> None:
        """Release the AWS clients it holds (DynamoDB, S3); the Port client is its builder's to close."""
        self._guard.close()
        if self._payloads is not None:
            self._payloads.close()

    def process_record(
        self, message: str, *, message_id: str | None = None, receive_count: int | None = None
    ) -> ProcessResult:
        """``process``, logging what no ``SyncError`` describes (DynamoDB, S3, a bug) before re-raising it
        (any exception makes SQS redeliver the message)."""
        try:
            return self.process(message, message_id=message_id, receive_count=receive_count)
        except SyncError:
            raise
        except Exception as exc:
            log_unexpected(exc, message_id, receive_count)
            raise

    def premap(self, messages: Sequence[str]) -> None:
        """Read the batch's inline JSON-object bodies and map them in one worker round trip for ``process``
        (a lone one is left to ``process``, which maps it as fast without asking for the mapping twice)."""
        self._premapped = deliveries = {}
        for message in messages:
            try:
                envelope = Envelope.from_json(message)
                if envelope.pointer is None:
                    raw = envelope.inline_bytes()
                    body = json.loads(raw)
                    if isinstance(body, dict):
                        deliveries[message] = Delivery(envelope, raw, body)
            except (EnvelopeError, PayloadCorruptError, ValueError, UnicodeDecodeError):
                continue
        if len(deliveries) < 2:
            return
        events = [
            Event(d.body, mapping_headers(d.envelope.headers), d.envelope.query, body_text(d.raw))
            for d in deliveries.values()
        ]
        results = self._mapping.current().evaluate_each(events, jira_base_url=self._jira_base_url)
        for delivery, result in zip(deliveries.values(), results, strict=True):
            delivery.mapped = result

    @traced
    def process(
        self, message: str, *, message_id: str | None = None, receive_count: int | None = None
    ) -> ProcessResult:
        """Process one SQS message body; raises ``TransientSyncError`` or ``PermanentSyncError``."""
        context: dict[str, Any] = {"message_id": message_id, "receive_count": receive_count}
        delivery = self._premapped.pop(message, None) or self._delivery(message, context)
        if delivery is None:
            return ProcessResult(payload_missing=True)
        envelope, raw, body = delivery.envelope, delivery.raw, delivery.body
        logger.set_correlation_id(envelope.dedupe_id)
        context.update(group_id=envelope.group_id, webhook_event=body.get("webhookEvent"))

        headers = mapping_headers(envelope.headers)
        mapping, query, base = self._mapping.current(), envelope.query, self._jira_base_url
        try:
            mapped = delivery.mapped or mapping.evaluate_detailed(
                body, headers, query, jira_base_url=base, raw_body=body_text(raw)
            )
            if isinstance(mapped, MappingLimitError):
                raise mapped
            log_warnings(mapped.warnings)
            actions = mapped.actions + moved_away_deletions(
                lambda b: mapping.evaluate(b, headers, query, jira_base_url=base), body, mapped.actions
            )
        except MappingLimitError as exc:
            extra = {**context, "rule": exc.rule, "field": exc.field}
            fail_permanently(f"mapping bound exceeded: {exc}", extra, metric="MappingLimitExceeded")
        admitted: list[tuple[Action, int]] = []
        for action in actions:
            version = action_version(body, action, envelope.received_at_ms)
            if self._guard.admits(
                action.blueprint, action.identifier, version, deleting=action.operation == "delete"
            ):
                admitted.append((action, version))
            else:
                logger.info(
                    "stale action skipped: a newer state is already in Port",
                    extra={**context, **describe(action), "version": version},
                )
        stale = len(actions) - len(admitted)
        admitted = self._only_owned_deletes(admitted, context)
        if stale:
            metrics.add_metric(name="StaleActionsSkipped", unit=MetricUnit.Count, value=stale)
        written = self._write(admitted, context) if admitted else 0
        metrics.add_metric(name="EventsProcessed", unit=MetricUnit.Count, value=1)
        if envelope.pointer is not None and self._payloads is not None:
            self._payloads.delete(envelope.pointer)
        logger.info(
            "event synced", extra={**context, "actions": len(actions), "written": written, "stale": stale}
        )
        return ProcessResult(actions=len(actions), written=written, stale=stale)

    def _delivery(self, message: str, context: dict[str, Any]) -> Delivery | None:
        """The message's envelope, body bytes and parsed body (``None``: the stored body is gone)."""
        try:
            envelope = Envelope.from_json(message)
        except EnvelopeError as exc:
            fail_permanently("message is not a jira-port envelope", {**context, "error": str(exc)})
        context.update(group_id=envelope.group_id)
        try:
            if envelope.pointer is None:
                raw = envelope.inline_bytes()
            elif self._payloads is None:
                raise PayloadCorruptError("the message points to S3 but PAYLOAD_BUCKET is not configured")
            else:
                raw = self._payloads.get(envelope.pointer)
        except PayloadMissingError as exc:
            skip_missing_payload(exc, context)
            return None
        except PayloadCorruptError as exc:
            fail_permanently("stored body does not match its pointer", {**context, "error": str(exc)})
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            fail_permanently("queued body is not JSON", context)
        if not isinstance(body, dict):
            fail_permanently("queued body is not a JSON object", context)
        return Delivery(envelope, raw, body)

    def _only_owned_deletes(
        self, admitted: list[tuple[Action, int]], context: dict[str, Any]
    ) -> list[tuple[Action, int]]:
        """Drop deletes of entities this deployment did not write (logged and counted, not applied)."""
        kept: list[tuple[Action, int]] = []
        for action, version in admitted:
            if action.operation == "delete":
                try:
                    owned = self._ownership.owns(action.blueprint, action.identifier)
                except JiraPortError as exc:
                    logger.warning("ownership unreadable; the delete will be retried", extra={**context,
                                   **describe(action), "error": str(exc)})  # fmt: skip
                    raise TransientSyncError(f"ownership ledger unreadable: {exc}") from exc
                if not owned:
                    metrics.add_metric(name="DeletesNotOwned", unit=MetricUnit.Count, value=1)
                    logger.warning(
                        "delete skipped: this deployment does not own the entity",
                        extra={**context, **describe(action)},
                    )
                    continue
            kept.append((action, version))
        return kept

    def _write(self, admitted: list[tuple[Action, int]], context: dict[str, Any]) -> int:
        outcome = self._apply([action for action, _ in admitted])
        applied = [(o.action, v) for o, (_, v) in zip(outcome.outcomes, admitted, strict=True) if o.applied]
        try:
            self._ownership.record((a.blueprint, a.identifier) for a, _ in applied if a.operation == "upsert")
            self._ownership.forget((a.blueprint, a.identifier) for a, _ in applied if a.operation == "delete")
        except JiraPortError as exc:  # the redelivery re-applies the same version and records again
            raise TransientSyncError(f"ownership ledger not written: {exc}") from exc
        for action, version in applied:
            deleted = action.operation == "delete"
            if not self._guard.record(action.blueprint, action.identifier, version, deleted=deleted):
                metrics.add_metric(name="GuardRaces", unit=MetricUnit.Count, value=1)
                logger.warning(
                    "a newer version was recorded while this one was written (concurrent writer)",
                    extra={**context, **describe(action), "version": version},
                )
        for kind, name in (("upsert", "EntitiesUpserted"), ("delete", "EntitiesDeleted")):
            done = sum(1 for a, _ in applied if a.operation == kind)
            if done:
                metrics.add_metric(name=name, unit=MetricUnit.Count, value=done)
        if outcome.failures:
            raise_write_failures(outcome.failures, context)
        return len(applied)


def premap_batch(processor: Callable[[], LiveProcessor], event: Mapping[str, Any]) -> None:
    """Premap an SQS event's records on the function's processor. Never raises: whatever fails here
    (a processor that cannot be built, an unexpected error) is met again, and reported, per message."""
    try:
        live = processor()
    except Exception:
        return  # the first message builds it again and reports why it cannot
    records = event.get("Records") or []
    try:
        live.premap([str(r.get("body", "")) for r in records if isinstance(r, Mapping)])
    except Exception:
        logger.warning("batch premapping failed; the messages are mapped one by one", exc_info=True)


def process_fifo_batch(event: Mapping[str, Any], handle: RecordHandler) -> dict[str, list[dict[str, str]]]:
    """Run ``handle`` on each record of an SQS event in order, skipping the rest of a failed record's
    message group; returns the partial batch response. Raises ``ValueError`` for an event that is not
    an SQS batch and ``BatchFailedError`` when nothing succeeded."""
    records = event.get("Records")
    if not isinstance(records, list):
        raise ValueError("not an SQS event: no Records list")
    failed_groups: set[str] = set()
    failed: list[str] = []
    for record in records:
        attributes = record.get("attributes") or {}
        group = attributes.get("MessageGroupId")
        if group not in failed_groups:
            try:
                handle(record["body"], record["messageId"], int(attributes.get("ApproximateReceiveCount", 1)))
                continue
            except Exception:  # noqa: S110 - any failure fails the record; process() has logged it
                pass
        failed.append(record["messageId"])
        if group:
            failed_groups.add(group)
    if records and len(failed) == len(records):
        raise BatchFailedError(f"all {len(records)} records of the batch failed; each was logged")
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}
