"""Deployment detection, messages built from Jira's ErrorCollection, project-access classification."""

from __future__ import annotations

from typing import Any

import pytest

from jira_port.errors import ConfigError
from jira_port.jira import (
    JiraAPIError,
    JiraAuthError,
    JiraPermissionError,
    detect_deployment,
    project_access_reason,
)
from jira_port.jira.errors import parse_error_body
from jira_port_tools.jira_webhooks import ADMIN_PERMISSION_HINT


@pytest.mark.parametrize(
    ("info", "url", "expected"),
    [
        ({"deploymentType": "Cloud"}, "https://x.example", "cloud"),
        ({"deploymentType": "Server"}, "https://x.atlassian.net", "server"),
        ({"deploymentType": "DataCenter"}, "https://jira.corp", "server"),
        ({}, "https://acme.atlassian.net", "cloud"),
        ({}, "https://api.atlassian.com/ex/jira/0000", "cloud"),
        ({}, "https://jira.corp:8443/jira", "server"),
    ],
)
def test_detect_deployment(info: dict[str, Any], url: str, expected: str) -> None:
    assert detect_deployment(info, url) == expected


def test_api_error_message_carries_jiras_messages() -> None:
    error = JiraAPIError(
        400,
        "POST",
        "/rest/api/2/search/jql",
        messages=["Unbounded JQL queries are not allowed here."],
        errors={"jql": "bad"},
    )
    assert str(error) == (
        "Jira answered 400 to POST /rest/api/2/search/jql: "
        "Unbounded JQL queries are not allowed here.; jql: bad"
    )
    assert error.all_messages == ["Unbounded JQL queries are not allowed here.", "bad"]
    assert not error.transient


def test_permission_error_names_the_admin_permission() -> None:
    error = JiraPermissionError(403, "POST", "/rest/webhooks/1.0/webhook", hint=ADMIN_PERMISSION_HINT)
    assert "'Administer Jira' global permission" in str(error) and "403" in str(error)


def test_auth_errors_are_configuration_errors() -> None:
    assert issubclass(JiraAuthError, ConfigError) and issubclass(JiraAuthError, JiraAPIError)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"errorMessages": ["a"], "errors": {"f": "b"}}, (["a"], {"f": "b"})),
        ({"message": "oops"}, (["oops"], {})),
        ("<html>", ([], {})),
        (None, ([], {})),
    ],
)
def test_parse_error_body(body: Any, expected: tuple[list[str], dict[str, str]]) -> None:
    assert parse_error_body(body) == expected


@pytest.mark.parametrize(
    ("status", "message", "skipped"),
    [
        (400, "The value 'OPS' does not exist for the field 'project'.", True),
        (404, "No project could be found with key 'OPS'.", True),
        (403, "Forbidden", True),
        (400, "Field 'foo' does not exist or you do not have permission to view it.", False),
        (400, "Unbounded JQL queries are not allowed here.", False),
        (500, "does not exist for the field 'project'", False),
    ],
)
def test_project_access_classification(status: int, message: str, skipped: bool) -> None:
    reason = project_access_reason(JiraAPIError(status, "POST", "/x", messages=[message]))
    assert (reason is not None) is skipped
    if reason is not None:
        assert message in reason
