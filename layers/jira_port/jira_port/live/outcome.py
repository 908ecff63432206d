"""How one queued message ends in the sync function, and how each failure is logged, counted and raised.

- success (written, or every action was stale): ``ProcessResult``; the message is deleted;
- ``TransientSyncError`` (Port throttled, 5xx, timed out after the client's own retries; the ownership
  ledger unreachable): the message is reported failed and SQS redelivers it after the visibility timeout;
- ``PermanentSyncError`` (Port rejected an entity, e.g. 422, or a relation target is missing; a message
  that is not an envelope; a mapping bound exceeded): also reported failed. It is retried up to
  ``maxReceiveCount`` times on purpose: some "permanent" answers heal (a related entity created by an event
  of another group, a blueprint fixed by an operator), and after the last attempt the message moves to the
  DLQ where it waits for a redrive. The reason is logged as one structured line and counted in the
  ``PermanentFailures`` metric;
- anything else (DynamoDB, S3, a bug) is logged with its traceback, counted in ``UnexpectedErrors`` and
  re-raised: SQS redelivers it too.

Nothing here runs while a message succeeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from jira_port.errors import JiraPortError, is_transient
from jira_port.observability import MetricUnit, logger, metrics

if TYPE_CHECKING:
    from jira_port.port.types import Action, EntityFailure


class SyncError(JiraPortError):
    """A queued delivery was not fully written to Port."""


class TransientSyncError(SyncError):
    """Trying again later may succeed (throttling, server errors, timeouts)."""

    transient = True


class PermanentSyncError(SyncError):
    """The same input will fail the same way until something changes; retried, then dead-lettered."""


@dataclass(frozen=True, slots=True)
class ProcessResult:
    """What one message did: actions mapped, written, skipped as stale; whether its body was missing."""

    actions: int = 0
    written: int = 0
    stale: int = 0
    payload_missing: bool = False


def fail_permanently(reason: str, extra: dict[str, Any], *, metric: str | None = None) -> NoReturn:
    """Log and count (in ``PermanentFailures`` and ``metric``) a message that will fail the same way again,
    then raise ``PermanentSyncError``."""
    if metric is not None:
        metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="PermanentFailures", unit=MetricUnit.Count, value=1)
    logger.error(reason, extra=extra)
    raise PermanentSyncError(reason)


def raise_write_failures(failures: list[EntityFailure], context: dict[str, Any]) -> NoReturn:
    """Log and count the entities Port did not accept, then raise: ``TransientSyncError`` when any may
    succeed later (the message is retried soon), else ``PermanentSyncError``."""
    transient = [f for f in failures if f.transient]
    permanent = [f for f in failures if not f.transient]
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


def skip_missing_payload(exc: Exception, context: dict[str, Any]) -> None:
    """Alert on a message whose stored body is gone: nothing can bring it back (expired, or consumed by an
    earlier delivery), so the message is acknowledged."""
    metrics.add_metric(name="PayloadMissing", unit=MetricUnit.Count, value=1)
    logger.error("stored body is gone; event skipped", extra={**context, "error": str(exc)})


def describe(action: Action) -> dict[str, Any]:
    """The log fields naming an action's entity."""
    return {"operation": action.operation, "blueprint": action.blueprint, "identifier": action.identifier}


def log_unexpected(exc: Exception, message_id: str | None, receive_count: int | None) -> None:
    """Log and count an error no ``SyncError`` describes (DynamoDB, S3, the Port client, a bug)."""
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


def _first(failures: list[EntityFailure]) -> str:
    f = failures[0]
    return f"{f.blueprint}/{f.identifier} {f.operation} HTTP {f.status} {f.error}"
