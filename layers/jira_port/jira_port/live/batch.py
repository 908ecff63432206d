"""Map a whole SQS batch in one jq worker round trip before its messages are processed one by one.

The sync handler calls ``premap_batch`` with the batch; ``LiveProcessor.process`` then finds each
message's parsed delivery and mapping result here instead of mapping it alone (one round trip instead
of ten). The batch gets the per-event bound once; past it, each event is mapped again under its own
bound (``CompiledMapping.evaluate_each``), so an event that runs away fails alone, naming its rule and
field, and the other nine are applied. Messages whose body is in S3, or that are not valid envelopes,
are left to ``process``, which reads them and reports what is wrong per message.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jira_port.live.body import body_text
from jira_port.live.queue import Envelope, EnvelopeError, PayloadCorruptError, mapping_headers
from jira_port.mapping.evaluate import CompiledMapping, Event, MappingLimitError, MappingResult
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
