"""An SQS FIFO batch processed in order, answered with Lambda's partial batch response.

The rule is Powertools' ``SqsFifoPartialProcessor(skip_group_on_error=True)`` (whose import cost about
200 ms of the sync function's cold start): records run in batch order; when one fails, the later records
of *its* message group (one Jira entity) are not run and are reported failed too, so SQS redelivers the
group in order; other groups carry on. A record without a group fails alone. The failed ``messageId``s
are returned as ``{"batchItemFailures": [{"itemIdentifier": ...}]}`` (the event source mapping has
``ReportBatchItemFailures``). When every record failed, ``BatchFailedError`` is raised instead, as
Powertools does: the invocation fails and the whole batch returns to the queue.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from jira_port.errors import JiraPortError

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
