"""Which version an event gives the entities it writes (the version guard compares these).

Deletes use the event ``timestamp`` (epoch ms): the deletion is the newest fact about the entity, and its
body carries the last state's ``updated``, which would tie with that state. Upserts of an issue event use
the issue's own modification time ``issue.fields.updated`` when present: it versions the *content* the
body carries, which is what "last write wins" must compare (Jira renders asynchronous deliveries after the
fact and may send two events for one change, e.g. a comment and its issue update), and it stays below the
``timestamp`` of a later deletion. Everything else uses ``timestamp``; a body without one (never seen from
Jira) falls back to the time the webhook received it.

A version more than ``MAX_CLOCK_SKEW_MS`` after the time the webhook received the event cannot be true
(Jira stamps an event before sending it): it is clamped to the receive time and counted in the
``FutureVersionsClamped`` metric, so one bad ``timestamp`` or ``updated`` (``1e400``, year 9999) cannot
pin an entity and make every later real event look stale. Versions below zero become zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from jira_port.actions import Action
from jira_port.observability import MetricUnit, logger, metrics

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
