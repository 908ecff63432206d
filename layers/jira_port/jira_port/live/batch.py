"""An SQS FIFO batch in the sync function: mapped in one jq worker round trip, then processed in order.

``premap_batch`` maps the whole batch before its messages are processed one by one;
``LiveProcessor.process`` then finds each message's parsed delivery and mapping result here instead of
mapping it alone (one round trip instead of ten). The batch gets the per-event bound once; past it, each
event is mapped again under its own bound (``CompiledMapping.evaluate_each``), so an event that runs away
fails alone, naming its rule and field, and the other nine are applied. Messages whose body is in S3, or
that are not valid envelopes, are left to ``process``, which reads them and reports what is wrong per
message.

``process_fifo_batch`` applies Powertools' ``SqsFifoPartialProcessor(skip_group_on_error=True)`` rule
(whose import cost about 200 ms of the sync function's cold start): records run in batch order; when one
fails, the later records of *its* message group (one Jira entity) are not run and are reported failed
too, so SQS redelivers the group in order; other groups carry on. A record without a group fails alone.
The failed ``messageId``s are returned as ``{"batchItemFailures": [{"itemIdentifier": ...}]}`` (the event
source mapping has ``ReportBatchItemFailures``). When every record failed, ``BatchFailedError`` is raised
instead, as Powertools does: the invocation fails and the whole batch returns to the queue.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jira_port.errors import JiraPortError
from jira_port.live.queue import Envelope, EnvelopeError, PayloadCorruptError, body_text, mapping_headers
from jira_port.mapping.evaluate import CompiledMapping, MappingLimitError
from jira_port.mapping.model import Event, MappingResult
from jira_port.observability import logger

if TYPE_CHECKING:
    from jira_port.live.process import LiveProcessor


@dataclass(slots=True)
class Delivery:
    """A queued delivery, read and parsed; ``mapped``: its mapping result when ``premap`` made it."""

    envelope: Envelope
    raw: bytes
    body: dict[str, Any]
    mapped: MappingResult | MappingLimitError | None = None


def premap(
    mapping: Callable[[], CompiledMapping], messages: Sequence[str], jira_base_url: str | None
) -> dict[str, Delivery]:
    """The deliveries of ``messages`` with inline JSON-object bodies, each with its result under
    ``mapping()`` (none when fewer than two: one event is mapped by ``process`` as it would be anyway,
    without asking a provider for its current mapping twice)."""
    deliveries: dict[str, Delivery] = {}
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
        return {}
    events = [
        Event(d.body, mapping_headers(d.envelope.headers), d.envelope.query, body_text(d.raw))
        for d in deliveries.values()
    ]
    results = mapping().evaluate_each(events, jira_base_url=jira_base_url)
    for delivery, result in zip(deliveries.values(), results, strict=True):
        delivery.mapped = result
    return deliveries


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


#: One record's work: body, message id, receive count; raising marks the record failed.
RecordHandler = Callable[[str, str, int], None]


class BatchFailedError(JiraPortError):
    """Every record of the batch failed (the invocation fails; SQS redelivers the whole batch)."""


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
