"""Port API client (entity writes, reads, blueprints) and ``apply_actions``, the one write step.

Modules: ``client`` (``PortClient``), ``session`` (one authenticated, retried call), ``tokens``
(credentials and the token cache), ``batches`` (cutting entities into bulk requests), ``writes``
(Port's single and bulk write rules), ``types`` (errors and results), ``apply`` (actions → Port, for
live events and the backfill alike).
"""

from jira_port.port.client import PortClient
from jira_port.port.types import BulkResult, EntityFailure, PortAPIError, PortAuthError, PortStats

__all__ = [
    "BulkResult",
    "EntityFailure",
    "PortAPIError",
    "PortAuthError",
    "PortClient",
    "PortStats",
]
