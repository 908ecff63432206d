"""The end-of-run summary of a backfill as ``jira-port backfill`` prints it (``--json`` prints
``BackfillSummary.to_dict()`` instead)."""

from __future__ import annotations

from jira_port.backfill.report import BackfillSummary


def render_summary(summary: BackfillSummary) -> str:
    """A short human-readable report of a backfill run (``jira-port backfill`` prints it at the end)."""
    verdict_text = {True: "OK", False: "FAILED", None: summary.status.upper()}[summary.ok]
    lines = [
        f"backfill {summary.mode} run {summary.run_id or '-'}: {verdict_text}"
        + (f" ({summary.message})" if summary.message else ""),
        f"  read      {summary.projects} projects, {summary.issues} issues in {summary.pages} pages"
        + (f" (updated since {summary.since})" if summary.since else ""),
        f"  written   {summary.totals.upserted} upserted, {summary.totals.deleted} deleted, "
        f"{summary.totals.retried} retried, {summary.totals.skipped_newer} skipped (newer live change)",
        f"  rejected  {summary.totals.rejected}",
    ]
    for code, count in sorted(summary.totals.codes.items(), key=lambda kv: -kv[1]):
        lines.append(f"    {count:>7}  {code}")
    for example in summary.totals.examples:
        lines.append(
            f"    e.g. {example.get('blueprint')}/{example.get('identifier')}: "
            f"{example.get('error')} {example.get('message')}"
        )
    p = summary.partitions
    lines.append(
        f"  partitions {p.get('done', 0)}/{p.get('total', 0)} done, {p.get('failed', 0)} failed, "
        f"{p.get('pending', 0)} pending"
    )
    for failed in summary.failed_partitions:
        lines.append(f"    {failed['key']}: {failed['error']}")
    rec = summary.reconciliation
    if rec:
        if rec.get("skipped"):
            lines.append(f"  reconcile skipped: {rec['skipped']}")
        elif rec.get("refused"):
            lines.append(f"  reconcile REFUSED: {rec.get('reason')}")
        else:
            lines.append(f"  reconcile deleted {rec.get('deleted', 0)}, failed {rec.get('failed', 0)}")
        if rec.get("keptNotOwned"):
            lines.append(
                f"  reconcile kept {rec['keptNotOwned']} entities this deployment does not own "
                "(other writers, or written before ownership was recorded)"
            )
            for blueprint, info in sorted((rec.get("blueprints") or {}).items()):
                if info.get("keptNotOwned"):
                    examples = ", ".join(info.get("notOwnedExamples") or [])
                    lines.append(f"    {info['keptNotOwned']:>7}  {blueprint} (e.g. {examples})")
    lines.append(
        f"  time      {summary.duration_seconds:.1f} s over {summary.invocations} invocation(s), "
        f"{summary.issues_per_second} issues/s"
    )
    return "\n".join(lines)
