"""CloudWatch metrics of one backfill invocation (Powertools EMF, namespace ``JiraPort``).

Counts are this invocation's share, so sums over time are totals; ``RejectedEntities`` and
``BackfillFailed`` feed the template's alarms. No extra dimension: the alarms match on ``service``.
"""

from __future__ import annotations

from jira_port.backfill.report import BackfillSummary
from jira_port.observability import MetricUnit, metrics


def publish_metrics(summary: BackfillSummary, elapsed_seconds: float) -> None:
    """Add the invocation's metrics to the Powertools metrics object (flushed by ``log_metrics``)."""
    done = summary.invocation
    metrics.add_metric(name="Pages", unit=MetricUnit.Count, value=done.pages)
    metrics.add_metric(name="Issues", unit=MetricUnit.Count, value=done.items)
    metrics.add_metric(name="Upserts", unit=MetricUnit.Count, value=done.upserted)
    metrics.add_metric(name="Deletes", unit=MetricUnit.Count, value=done.deleted)
    metrics.add_metric(name="Failures", unit=MetricUnit.Count, value=done.rejected)
    metrics.add_metric(name="RejectedEntities", unit=MetricUnit.Count, value=done.rejected)
    rate = done.items / elapsed_seconds if elapsed_seconds > 0 else 0.0
    metrics.add_metric(name="IssuesPerSecond", unit=MetricUnit.CountPerSecond, value=round(rate, 2))
    metrics.add_metric(
        name="BackfillFailed", unit=MetricUnit.Count, value=1 if summary.status == "failed" else 0
    )
    rec = summary.reconciliation or {}
    if rec.get("refused"):
        metrics.add_metric(name="ReconciliationRefused", unit=MetricUnit.Count, value=1)
    if rec.get("ownershipError"):
        metrics.add_metric(name="ReconciliationSkipped", unit=MetricUnit.Count, value=1)
    if rec.get("keptNotOwned"):
        metrics.add_metric(name="KeptNotOwned", unit=MetricUnit.Count, value=int(rec["keptNotOwned"]))
