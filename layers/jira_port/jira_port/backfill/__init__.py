"""The backfill: Jira projects and issues → the webhook mapping → Port, scheduled and resumable.

``service`` runs one invocation (lock, run, phases, continuation); ``pages`` is the page flow of the
issue pass (read → map → guard → write → commit); ``partitions`` plans it; ``reconcile`` deletes what
Jira no longer has; ``store`` persists runs, partitions and cursors on a ``tables``/``dynamo`` table;
``report`` tallies, summarises and publishes metrics; ``records`` holds the input and state records;
``runtime`` builds it all for the Lambda (and, with local parts, for the CLI).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jira_port.backfill.records import BackfillRequest, InvalidRequestError
    from jira_port.backfill.report import BackfillSummary
    from jira_port.backfill.service import BackfillService

# Imported on first use: the sync function imports ``backfill.dynamo`` and must not load the whole backfill.
_EXPORTS = {
    "BackfillRequest": "records",
    "BackfillService": "service",
    "InvalidRequestError": "records",
    "BackfillSummary": "report",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f"jira_port.backfill.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["BackfillRequest", "BackfillService", "BackfillSummary", "InvalidRequestError"]
