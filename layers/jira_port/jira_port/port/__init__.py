"""Port API client: entity writes (single and bulk), reads, blueprints, and their result types."""

from jira_port.port.client import PortClient
from jira_port.port.errors import EntityFailure, PortAPIError, PortAuthError
from jira_port.port.models import BlueprintChange, BulkResult, PortStats

__all__ = [
    "BlueprintChange",
    "BulkResult",
    "EntityFailure",
    "PortAPIError",
    "PortAuthError",
    "PortClient",
    "PortStats",
]
