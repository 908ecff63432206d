"""Fixtures of the Jira integration tests: the local Jira in both flavours."""

from tests.support.jira_emulator import jira_cloud, jira_server

__all__ = ["jira_cloud", "jira_server"]
