"""The write step shared by the live path and the backfill: mapped actions → Port."""

from jira_port.sync.apply import ApplyResult, apply_actions

__all__ = ["ApplyResult", "apply_actions"]
