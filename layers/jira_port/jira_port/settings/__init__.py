"""Validated settings models, one module per area (port, jira, live, backfill)."""

from jira_port.settings.common import EnvModel, describe_validation_error

__all__ = ["EnvModel", "describe_validation_error"]
