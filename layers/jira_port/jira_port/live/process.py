"""The sync function's core: one queued delivery -> map -> version guard -> Port.

Outcomes of one message:

- success (written, or every action was stale): the message is deleted;
- ``TransientSyncError`` (Port throttled, 5xx, timed out after the client's own retries): the message
  is reported failed and SQS redelivers it after the visibility timeout;
- ``PermanentSyncError`` (Port rejected an entity, e.g. 422, or a relation target is missing; a
  message that is not an envelope): also reported failed. It is retried up to ``maxReceiveCount``
  times on purpose: some "permanent" answers heal (a related entity created by an event of another
  group, a blueprint fixed by an operator), and after the last attempt the message moves to the DLQ
  where it waits for a redrive. The reason is logged as one structured line and counted in the
  ``PermanentFailures`` metric.

Mapping: ``premap`` maps the whole SQS batch in one jq worker round trip first (``live.batch``).

Actions Port accepted advance the guard even when others failed, so the redelivery re-applies them
at the same version (idempotent) and only the failed ones can still change anything.

Ownership (``jira_port.state``): every upsert Port accepted is recorded in the ledger; a delete is
applied only to an entity the ledger says this deployment wrote. A delete of someone else's entity is
logged and counted (``DeletesNotOwned``), not applied. When the ledger cannot be read or written the
message fails transiently and is retried: a delete is never applied unchecked.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from jira_port.errors import JiraPortError, is_transient
from jira_port.live.batch import Delivery, premap
from jira_port.live.guard import VersionGuard, action_version
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
from jira_port.mapping.source import MappingProvider
from jira_port.observability import MetricUnit, logger, metrics, traced
from jira_port.port.apply import moved_away_deletions
from jira_port.port.types import Action

if TYPE_CHECKING:
    from jira_port.port.apply import ApplyResult
    from jira_port.port.types import EntityFailure
    from jira_port.state import OwnershipLedger


class SyncError(JiraPortError):
    """A queued delivery was not fully written to Port."""


class TransientSyncError(SyncError):
    """Trying again later may succeed (throttling, server errors, timeouts)."""


class PermanentSyncError(SyncError):
    """The same input will fail the same way until something changes; retried, then dead-lettered."""


@dataclass(frozen=True, slots=True)
class ProcessResult:
    """What one message did: actions mapped, written, skipped as stale; whether its body was missing."""

    actions: int = 0
    written: int = 0
    stale: int = 0
    payload_missing: bool = False


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
        self._mapping = mapping
        self._apply = apply
        self._guard = guard
        self._ownership = ownership
        self._payloads = payloads
        self._jira_base_url = jira_base_url
        self._premapped: dict[str, Delivery] = {}

    def close(self) -> None:
        """Release the AWS clients it holds (DynamoDB, S3); the Port client is its builder's to close."""
        self._guard.close()
        if self._payloads is not None:
            self._payloads.close()

    def process_record(
        self, message: str, *, message_id: str | None = None, receive_count: int | None = None
    ) -> ProcessResult:
        """``process``, logging anything unexpected (DynamoDB, S3, the Port client) before re-raising it.

        Every exception makes SQS redeliver the message; ``SyncError``s are already logged by ``process``.
        """
        try:
            return self.process(message, message_id=message_id, receive_count=receive_count)
        except SyncError:
            raise
        except Exception as exc:
            metrics.add_metric(name="UnexpectedErrors", unit=MetricUnit.Count, value=1)
            logger.exception(
                "message failed unexpectedly; it will be retried",
                extra={
                    "message_id": message_id,
                    "receive_count": receive_count,
                    "error": type(exc).__name__,
                    "transient": is_transient(exc),
                },
            )
            raise

    def premap(self, messages: Sequence[str]) -> None:
        """Map the batch's inline bodies in one worker round trip (see ``live.batch``); ``process``
        then uses those results."""
        self._premapped = premap(self._mapping.current, messages, self._jira_base_url)

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
            metrics.add_metric(name="MappingLimitExceeded", unit=MetricUnit.Count, value=1)
            self._permanent(
                f"mapping bound exceeded: {exc}", {**context, "rule": exc.rule, "field": exc.field}
            )
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
                    extra={**context, **_describe(action), "version": version},
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
            "event synced",
            extra={**context, "actions": len(actions), "written": written, "stale": stale},
        )
        return ProcessResult(actions=len(actions), written=written, stale=stale)

    def _delivery(self, message: str, context: dict[str, Any]) -> Delivery | None:
        """The message's envelope, body bytes and parsed body (``None``: the stored body is gone)."""
        try:
            envelope = Envelope.from_json(message)
        except EnvelopeError as exc:
            self._permanent("message is not a jira-port envelope", {**context, "error": str(exc)})
        context.update(group_id=envelope.group_id)
        try:
            raw = self._body(envelope)
        except PayloadMissingError as exc:
            # Nothing can bring the body back (expired or consumed by an earlier delivery): alert, ack.
            metrics.add_metric(name="PayloadMissing", unit=MetricUnit.Count, value=1)
            logger.error("stored body is gone; event skipped", extra={**context, "error": str(exc)})
            return None
        except PayloadCorruptError as exc:
            self._permanent("stored body does not match its pointer", {**context, "error": str(exc)})
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            self._permanent("queued body is not JSON", context)
        if not isinstance(body, dict):
            self._permanent("queued body is not a JSON object", context)
        return Delivery(envelope, raw, body)

    def _body(self, envelope: Envelope) -> bytes:
        if envelope.pointer is None:
            return envelope.inline_bytes()
        if self._payloads is None:
            raise PayloadCorruptError("the message points to S3 but PAYLOAD_BUCKET is not configured")
        return self._payloads.get(envelope.pointer)

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
                                   **_describe(action), "error": str(exc)})  # fmt: skip
                    raise TransientSyncError(f"ownership ledger unreadable: {exc}") from exc
                if not owned:
                    metrics.add_metric(name="DeletesNotOwned", unit=MetricUnit.Count, value=1)
                    logger.warning(
                        "delete skipped: this deployment does not own the entity",
                        extra={**context, **_describe(action)},
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
                    extra={**context, **_describe(action), "version": version},
                )
        for kind, name in (("upsert", "EntitiesUpserted"), ("delete", "EntitiesDeleted")):
            done = sum(1 for a, _ in applied if a.operation == kind)
            if done:
                metrics.add_metric(name=name, unit=MetricUnit.Count, value=done)
        written = len(applied)
        if not outcome.failures:
            return written
        transient = [f for f in outcome.failures if f.transient]
        permanent = [f for f in outcome.failures if not f.transient]
        if permanent:
            metrics.add_metric(name="PermanentFailures", unit=MetricUnit.Count, value=len(permanent))
            for failure in permanent:
                logger.error("Port rejected an entity", extra={**context, "failure": failure.to_json()})
        if transient:
            metrics.add_metric(name="TransientFailures", unit=MetricUnit.Count, value=len(transient))
            logger.warning(
                "Port write failed transiently; the message will be retried",
                extra={**context, "failures": [f.to_json() for f in transient]},
            )
            raise TransientSyncError(f"{len(transient)} entities failed transiently ({_first(transient)})")
        raise PermanentSyncError(f"Port rejected {len(permanent)} entities (first: {_first(permanent)})")

    @staticmethod
    def _permanent(reason: str, extra: dict[str, Any]) -> NoReturn:
        metrics.add_metric(name="PermanentFailures", unit=MetricUnit.Count, value=1)
        logger.error(reason, extra=extra)
        raise PermanentSyncError(reason)


def _describe(action: Action) -> dict[str, Any]:
    return {"operation": action.operation, "blueprint": action.blueprint, "identifier": action.identifier}


def _first(failures: list[EntityFailure]) -> str:
    f = failures[0]
    return f"{f.blueprint}/{f.identifier} {f.operation} HTTP {f.status} {f.error}"
