"""The backfill: Jira projects and issues → the webhook mapping → Port, scheduled and resumable.

Orchestration: ``runtime`` (the function's input and composition root), ``service`` (one invocation:
lock, run, phases, continuation), ``partitions`` (the plan of the issue pass). Page flow: ``pages``
(read → map → guard → write → commit), ``mapper`` (what is read, as webhook events, through the
mapping). State: ``store`` (run, partition and tally records, persisted), ``lock`` (the run lock; the state
table itself is ``jira_port.state``). Report: ``report`` (tallies, progress, summary, metrics) and
``reconcile`` (what Jira no longer has is deleted).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jira_port import lazy_exports

if TYPE_CHECKING:
    from jira_port.backfill.report import BackfillSummary
    from jira_port.backfill.runtime import BackfillRequest, InvalidRequestError
    from jira_port.backfill.service import BackfillService

# Imported on first use: nothing else of the backfill loads with its package.
_EXPORTS = {
    "BackfillRequest": "runtime",
    "BackfillService": "service",
    "InvalidRequestError": "runtime",
    "BackfillSummary": "report",
}

__getattr__ = lazy_exports(__name__, _EXPORTS)


__all__ = ["BackfillRequest", "BackfillService", "BackfillSummary", "InvalidRequestError"]
