"""The backfill: Jira projects and issues → the webhook mapping → Port, scheduled and resumable.

``service`` runs one invocation (lock, run state, phases); ``runner`` is the pipelined issue pass;
``reconcile`` deletes what Jira no longer has; ``state``/``tables``/``dynamo`` persist runs,
partitions and cursors; ``wiring`` builds it all from the environment for the Lambda and the CLI.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jira_port.backfill.service import BackfillRequest, BackfillService, InvalidRequestError
    from jira_port.backfill.summary import BackfillSummary

# Imported on first use: the sync function imports ``backfill.dynamo`` and must not load the whole backfill.
_EXPORTS = {
    "BackfillRequest": "service",
    "BackfillService": "service",
    "InvalidRequestError": "service",
    "BackfillSummary": "summary",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f"jira_port.backfill.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["BackfillRequest", "BackfillService", "BackfillSummary", "InvalidRequestError"]
