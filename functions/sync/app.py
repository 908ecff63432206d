"""Sync function: SQS FIFO batch -> map -> version guard -> Port, reporting partial batch failures.

When a message fails, the later messages of *its* message group (the same Jira entity) in this batch are
reported failed too, so the group keeps its order; other groups carry on. All logic lives in
``jira_port.live.process``.
"""

from __future__ import annotations

import gc

gc.disable()  # init builds what the container keeps; see the end of this module

from jira_port.live.runtime import start_live_mapping, sync_processor, warm  # noqa: E402

start_live_mapping()  # the mapping is read, proven and compiled on a thread while the imports below run

from functools import cache  # noqa: E402
from typing import TYPE_CHECKING, Any  # noqa: E402

from jira_port.live.process import LiveProcessor, premap_batch, process_fifo_batch  # noqa: E402
from jira_port.observability import logger, metrics, traced_handler  # noqa: E402
from jira_port.settings.live import SyncSettings  # noqa: E402

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


@cache
def live() -> LiveProcessor:
    """This container's processor; a build that raised is not cached, so the next batch tries again."""
    return sync_processor(SyncSettings.from_env())


def record_handler(body: str, message_id: str, receive_count: int) -> None:
    """Process one message; raising marks it failed (SQS redelivers it, then dead-letters it)."""
    live().process_record(body, message_id=message_id, receive_count=receive_count)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@traced_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point for SQS event source mapping batches (``ReportBatchItemFailures``)."""
    premap_batch(live, event)  # the whole batch mapped in one jq worker round trip
    return dict(process_fifo_batch(event, record_handler))


# Init: compile the mapping and make the clients before the first batch waits for them.
warm(live)

# Init is over. What it built lives as long as the container, so it is frozen: no collection scans it again.
# (During init the collector's passes scanned some 70k live objects to find a few hundred garbage ones.)
gc.freeze()
gc.enable()
