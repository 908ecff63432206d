"""Backfill function: ``{"mode": "incremental" | "full", "runId"?: ...}`` from EventBridge Scheduler,
a manual invoke, or its own continuation. All logic lives in ``jira_port.backfill``.

Returns the run summary (``ok`` false when Port rejected entities, a partition failed or
reconciliation was refused; null while the run continues in a fresh invocation).
"""

from __future__ import annotations

import gc

gc.disable()  # init builds what the container keeps; see the end of this module

import time  # noqa: E402
from typing import TYPE_CHECKING, Any  # noqa: E402

from jira_port.backfill.report import publish_metrics  # noqa: E402
from jira_port.backfill.runtime import BackfillRequest, build_backfill, function_settings  # noqa: E402
from jira_port.backfill.service import BackfillService  # noqa: E402
from jira_port.observability import logger, metrics, traced_handler  # noqa: E402

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


def service() -> BackfillService:
    """The function's backfill, built on first use and kept for the container's lifetime."""
    return build_backfill(function_settings())


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@traced_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Validate the input, run one invocation of the backfill, publish its metrics."""
    request = BackfillRequest.parse(event)
    started = time.monotonic()
    summary = service().invoke(request, context.get_remaining_time_in_millis)
    publish_metrics(summary, time.monotonic() - started)
    return summary.to_dict()


# Init is over. What it built lives as long as the container, so it is frozen: no collection scans it again.
# (During init the collector's passes scanned some 70k live objects to find a few hundred garbage ones.)
gc.freeze()
gc.enable()
