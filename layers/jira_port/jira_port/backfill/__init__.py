"""The backfill: Jira projects and issues → the webhook mapping → Port, scheduled and resumable.

``service`` runs one invocation (lock, run, phases, continuation); ``pages`` is the page flow of the
issue pass (read → map → guard → write → commit); ``partitions`` plans it; ``reconcile`` deletes what
Jira no longer has; ``store`` persists runs, partitions and cursors on a ``tables``/``dynamo`` table;
``report`` tallies, summarises and publishes metrics; ``records`` holds the input and state records;
``runtime`` builds it all for the Lambda (and, with local parts, for the CLI).
"""

from jira_port.backfill.records import BackfillRequest, InvalidRequestError
from jira_port.backfill.report import BackfillSummary
from jira_port.backfill.service import BackfillService

__all__ = ["BackfillRequest", "BackfillService", "BackfillSummary", "InvalidRequestError"]
