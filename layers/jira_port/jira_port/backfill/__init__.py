"""The backfill: Jira projects and issues → the webhook mapping → Port, scheduled and resumable.

``service`` runs one invocation (lock, run state, phases); ``runner`` is the pipelined issue pass;
``reconcile`` deletes what Jira no longer has; ``state``/``tables``/``dynamo`` persist runs,
partitions and cursors; ``wiring`` builds it all from the environment for the Lambda and the CLI.
"""

from jira_port.backfill.service import BackfillRequest, BackfillService, InvalidRequestError
from jira_port.backfill.report import BackfillSummary

__all__ = ["BackfillRequest", "BackfillService", "BackfillSummary", "InvalidRequestError"]
