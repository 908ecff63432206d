"""Jira Cloud and Jira Server/Data Center client: issue and project paging."""

from jira_port.jira.client import JiraClient, detect_deployment
from jira_port.jira.credentials import CredentialsProvider, JiraCredentials
from jira_port.jira.errors import (
    JiraAPIError,
    JiraAuthError,
    JiraError,
    JiraNotFoundError,
    JiraPermissionError,
    JiraResponseError,
    JiraUnavailableError,
)
from jira_port.jira.models import Deployment, IssuePage
from jira_port.jira.projects import project_access_reason

__all__ = [
    "CredentialsProvider",
    "Deployment",
    "IssuePage",
    "JiraAPIError",
    "JiraAuthError",
    "JiraClient",
    "JiraCredentials",
    "JiraError",
    "JiraNotFoundError",
    "JiraPermissionError",
    "JiraResponseError",
    "JiraUnavailableError",
    "detect_deployment",
    "project_access_reason",
]
