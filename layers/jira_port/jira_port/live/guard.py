"""Per-entity version guard in DynamoDB: an older event never overwrites a newer state, and a late
update never resurrects a deleted entity.

One item per Port entity: ``pk = "entity#<blueprint>#<identifier>"``, ``sk = "version"``, with
``version`` (epoch ms, see "Versions" below), ``deleted`` (a tombstone) and ``expiresAt`` (TTL, refreshed on
every write; keep it above the queue plus DLQ retention).

Protocol (check, write to Port, then record):

1. ``admits`` reads the item (strongly consistent) and lets the action through unless the stored
   version is newer. Ties: a delete always passes; an upsert passes unless the tie is a tombstone.
   A same-version upsert passing is what makes at-least-once delivery safe: a message whose Port
   write failed (or whose delete of the SQS message was lost) is applied again on redelivery.
2. The caller writes to Port.
3. ``record`` advances the item with a conditional update (the same rule as 1) only after Port
   accepted the write, so the guard never claims a state Port does not have: a message that ends in
   the DLQ leaves the guard untouched and older events keep applying until it is redriven.

Events of one entity are serialised by the FIFO message group, so steps 1-3 do not interleave for
the same entity. The only concurrent writers are events of *other* groups whose mapping writes the
same entity (rare) and the backfill (which checks ``newer_entries`` before writing); when ``record``
finds a newer version recorded meanwhile it returns False and the caller reports the race.

Versions (``action_version``): which version an event gives the entities it writes. Deletes use the event
``timestamp`` (epoch ms): the deletion is the newest fact about the entity, and its body carries the last
state's ``updated``, which would tie with that state. Upserts of an issue event use the issue's own
modification time ``issue.fields.updated`` when present: it versions the *content* the body carries, which
is what "last write wins" must compare (Jira renders asynchronous deliveries after the fact and may send two
events for one change, e.g. a comment and its issue update), and it stays below the ``timestamp`` of a later
deletion. Everything else uses ``timestamp``; a body without one (never seen from Jira) falls back to the
time the webhook received it.

A version more than ``MAX_CLOCK_SKEW_MS`` after the time the webhook received the event cannot be true
(Jira stamps an event before sending it): it is clamped to the receive time and counted in the
``FutureVersionsClamped`` metric, so one bad ``timestamp`` or ``updated`` (``1e400``, year 9999) cannot
pin an entity and make every later real event look stale. Versions below zero become zero.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from jira_port.errors import JiraPortError, aws_error_code

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from jira_port.observability import MetricUnit, logger, metrics
from jira_port.port.types import Action

SORT_KEY = "version"
BATCH_GET_LIMIT = 100
_DAY = 86_400
_NAMES = {"#v": "version", "#d": "deleted"}


class GuardUnavailableError(JiraPortError):
    """DynamoDB kept some keys unprocessed after every retry (throttling): try again later."""


@dataclass(frozen=True, slots=True)
class GuardState:
    """The newest version recorded for an entity and whether that version deleted it."""

    version: int
    deleted: bool


def supersedes(version: int, *, deleting: bool, state: GuardState | None) -> bool:
    """Whether an action at ``version`` may be applied over ``state`` (the guard's one ordering rule)."""
    if state is None or version > state.version:
        return True
    if version < state.version:
        return False
    return deleting or not state.deleted


def entity_pk(blueprint: str, identifier: str) -> str:
    """The partition key of an entity's guard item."""
    return f"entity#{blueprint}#{identifier}"


class VersionGuard:
    """Reads and advances guard items in ``table``."""

    def __init__(
        self,
        dynamodb: DynamoDBClient,
        table: str,
        *,
        ttl_days: int = 30,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._ddb = dynamodb
        self._table = table
        self._ttl_seconds = ttl_days * _DAY
        self._clock = clock
        self._sleep = sleep

    def close(self) -> None:
        """Release the DynamoDB client's connections."""
        self._ddb.close()

    def current(self, blueprint: str, identifier: str) -> GuardState | None:
        """The recorded state of an entity, or ``None`` if nothing was recorded (or it expired)."""
        response = self._ddb.get_item(
            TableName=self._table,
            Key=_key(blueprint, identifier),
            ConsistentRead=True,
            ProjectionExpression="#v, #d",
            ExpressionAttributeNames=_NAMES,
        )
        item = response.get("Item")
        return _state(item) if item else None

    def admits(self, blueprint: str, identifier: str, version: int, *, deleting: bool) -> bool:
        """Step 1: whether an action at ``version`` may be written to Port."""
        return supersedes(version, deleting=deleting, state=self.current(blueprint, identifier))

    def record(self, blueprint: str, identifier: str, version: int, *, deleted: bool) -> bool:
        """Step 3: advance the entity to ``version`` after Port accepted the write.

        Returns False (and changes nothing) when a newer version was recorded in the meantime.
        """
        condition = "attribute_not_exists(#v) OR #v < :v OR "
        condition += "#v = :v" if deleted else "(#v = :v AND (attribute_not_exists(#d) OR #d = :false))"
        now = int(self._clock())
        values: dict[str, Any] = {
            ":v": {"N": str(version)},
            ":d": {"BOOL": deleted},
            ":exp": {"N": str(now + self._ttl_seconds)},
            ":now": {"N": str(now)},
        }
        if not deleted:
            values[":false"] = {"BOOL": False}
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=_key(blueprint, identifier),
                UpdateExpression="SET #v = :v, #d = :d, expiresAt = :exp, recordedAt = :now",
                ConditionExpression=condition,
                ExpressionAttributeNames=_NAMES,
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if aws_error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def newer_entries(self, keys: Iterable[tuple[str, str]], version_ms: int) -> set[tuple[str, str]]:
        """The ``(blueprint, identifier)`` keys a live event changed or deleted after ``version_ms``.

        For the backfill: an entity read from Jira at ``version_ms`` must not be written when a live
        event already recorded a newer state (or a deletion at the same instant). BatchGetItem, 100
        keys per call, strongly consistent, unprocessed keys retried with backoff.
        """
        wanted = list(dict.fromkeys(keys))
        newer: set[tuple[str, str]] = set()
        for start in range(0, len(wanted), BATCH_GET_LIMIT):
            chunk = wanted[start : start + BATCH_GET_LIMIT]
            for item in self._batch_get([_key(bp, ident) for bp, ident in chunk]):
                state = _state(item)
                if state.version > version_ms or (state.deleted and state.version >= version_ms):
                    _, blueprint, identifier = item["pk"]["S"].split("#", 2)
                    newer.add((blueprint, identifier))
        return newer

    def _batch_get(self, keys: list[dict[str, Any]], attempts: int = 8) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        pending: dict[str, Any] = {
            self._table: {
                "Keys": keys,
                "ConsistentRead": True,
                "ProjectionExpression": "pk, #v, #d",
                "ExpressionAttributeNames": _NAMES,
            }
        }
        for attempt in range(attempts):
            response = self._ddb.batch_get_item(RequestItems=pending)
            items.extend(response.get("Responses", {}).get(self._table, []))
            unprocessed: dict[str, Any] = dict(response.get("UnprocessedKeys") or {})
            if not unprocessed.get(self._table, {}).get("Keys"):
                return items
            pending = unprocessed
            self._sleep(min(2.0, 0.05 * 2**attempt))
        raise GuardUnavailableError(f"DynamoDB left keys unprocessed after {attempts} attempts")


def _key(blueprint: str, identifier: str) -> dict[str, Any]:
    return {"pk": {"S": entity_pk(blueprint, identifier)}, "sk": {"S": SORT_KEY}}


def _state(item: dict[str, Any]) -> GuardState:
    version = int(item.get("version", {}).get("N", "0"))
    return GuardState(version, bool(item.get("deleted", {}).get("BOOL", False)))


#: How far ahead of the receive time a version may be (clock skew between Jira and AWS).
MAX_CLOCK_SKEW_MS = 15 * 60 * 1000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def action_version(body: Mapping[str, Any], action: Action, received_at_ms: int) -> int:
    """The version (epoch ms) ``action`` carries when it comes from event ``body`` (clamped, see above)."""
    event = body.get("webhookEvent")
    deletion_event = isinstance(event, str) and event.endswith("_deleted")
    version = None
    if action.operation == "upsert" and not deletion_event:
        version = _issue_updated_ms(body)
    if version is None:
        version = event_timestamp_ms(body, received_at_ms)
    if version > received_at_ms + MAX_CLOCK_SKEW_MS:
        metrics.add_metric(name="FutureVersionsClamped", unit=MetricUnit.Count, value=1)
        logger.warning(
            "event version far in the future; clamped to the receive time",
            extra={
                "blueprint": action.blueprint,
                "identifier": action.identifier,
                "received_at": received_at_ms,
            },
        )
        return received_at_ms
    return max(version, 0)


def event_timestamp_ms(body: Mapping[str, Any], default: int) -> int:
    """The body's ``timestamp`` in epoch ms (number or numeric string), else ``default`` (also for
    infinities and NaN)."""
    value = body.get("timestamp")
    if isinstance(value, bool):
        return default
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return default
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else default
    return default


def parse_jira_datetime_ms(value: object) -> int | None:
    """Epoch ms of a Jira date-time such as ``2019-02-15T19:01:52.971-0800``; ``None`` without a zone."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return (parsed - _EPOCH) // _MS


def _issue_updated_ms(body: Mapping[str, Any]) -> int | None:
    issue = body.get("issue")
    if not isinstance(issue, Mapping):
        return None
    fields = issue.get("fields")
    if not isinstance(fields, Mapping):
        return None
    return parse_jira_datetime_ms(fields.get("updated"))
