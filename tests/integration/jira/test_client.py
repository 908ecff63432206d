"""``JiraClient`` against the local Jira: detection, auth modes, errors, projects, issues."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jira_port.jira import (
    JiraAPIError,
    JiraAuthError,
    JiraClient,
    JiraCredentials,
    JiraNotFoundError,
    JiraUnavailableError,
)
from jira_port.jira.credentials import CredentialsProvider
from jira_port.transport import RetryPolicy
from jira_port_emulators.jira import Account
from jira_port_tools.jira_webhooks import has_permission
from tests.integration.jira.issue_reads import all_issues, get_issue
from tests.support.jira_emulator import FAST_RETRIES, RunningJira, running_jira


@pytest.fixture(scope="module")
def cloud() -> Iterator[RunningJira]:
    with running_jira("cloud", projects=3, issues=90) as jira:
        yield jira


@pytest.fixture(scope="module")
def server() -> Iterator[RunningJira]:
    accounts = [Account("admin", secret="admin", pat="local-pat"), Account("bob", secret="pw", admin=False)]
    with running_jira("server", projects=3, issues=90, accounts=accounts) as jira:
        yield jira


def test_auto_detection_against_both_flavours(cloud: RunningJira, server: RunningJira) -> None:
    assert cloud.client().deployment == "cloud"
    assert server.client().deployment == "server"


def test_explicit_deployment_skips_detection(cloud: RunningJira) -> None:
    before = cloud.emulator.requests
    client = cloud.client(deployment="cloud")
    assert client.deployment == "cloud" and cloud.emulator.requests == before


def test_from_env_with_each_auth_mode(cloud: RunningJira, server: RunningJira) -> None:
    modes = [
        (cloud, {"JIRA_EMAIL": "admin@example.com", "JIRA_API_TOKEN": "api-token"}),
        (server, {"JIRA_PAT": "local-pat"}),
        (server, {"JIRA_USERNAME": "admin", "JIRA_PASSWORD": "admin"}),
    ]
    for jira, creds in modes:
        client = JiraClient.from_env({"JIRA_BASE_URL": jira.url, **creds}, retry_policy=FAST_RETRIES)
        assert client.myself()["displayName"]
        assert client.deployment == jira.flavour


@pytest.mark.parametrize(
    "creds",
    [
        JiraCredentials.basic("admin@example.com", "wrong-token", "JIRA_EMAIL/JIRA_API_TOKEN"),
        JiraCredentials.bearer("a-pat-on-cloud", "JIRA_PAT"),
    ],
)
def test_wrong_credentials_raise_a_clear_auth_error(cloud: RunningJira, creds: JiraCredentials) -> None:
    client = cloud.client(credentials=creds)
    with pytest.raises(JiraAuthError) as caught:
        client.myself()
    message = str(caught.value)
    assert "401" in message and creds.source in message and "expire" in message
    assert "wrong-token" not in message and "a-pat-on-cloud" not in message


def test_wrong_password_on_server(server: RunningJira) -> None:
    client = server.client(credentials=JiraCredentials.basic("admin", "nope"))
    with pytest.raises(JiraAuthError, match="basic auth"):
        list(client.iter_issue_pages())


def test_401_rereads_a_rotated_secret_once(cloud: RunningJira) -> None:
    # Given a secret that still holds the old token when first read, and the new one afterwards
    reads: list[bool] = []

    def fetch(secret_id: str, force_fetch: bool = False) -> dict[str, Any]:
        reads.append(force_fetch)
        token = "api-token" if force_fetch else "revoked-token"
        return {"email": "admin@example.com", "apiToken": token}

    provider = CredentialsProvider(secret_id="arn:jira", fetch=fetch)
    client = cloud.client(credentials=provider)
    # When the first call is rejected, the secret is re-read with force_fetch and the call repeated
    assert client.myself()["accountId"]
    assert reads == [False, True]
    assert client.myself()["accountId"] and reads == [False, True]


def test_jql_errors_surface_jiras_messages(cloud: RunningJira, server: RunningJira) -> None:
    for jira in (cloud, server):
        with pytest.raises(JiraAPIError) as caught:
            list(jira.client().iter_issue_pages("foo = bar ORDER BY created"))
        assert caught.value.status == 400
        assert "Field 'foo' does not exist" in str(caught.value)
        assert caught.value.error_messages == [
            "Field 'foo' does not exist or you do not have permission to view it."
        ]


def test_exhausted_throttling_is_transient(cloud: RunningJira) -> None:
    cloud.emulator.faults.update(throttle_rate=1.0)
    try:
        client = cloud.client(
            retry_policy=RetryPolicy(max_attempts=3, base_delay=0.001, max_server_delay=0.001)
        )
        with pytest.raises(JiraUnavailableError) as caught:
            client.myself()
        assert caught.value.transient and "429" in str(caught.value)
    finally:
        cloud.emulator.faults.update(throttle_rate=0.0)


def test_unreachable_jira_is_transient() -> None:
    client = JiraClient(
        "http://127.0.0.1:9",
        JiraCredentials.bearer("x"),
        deployment="server",
        retry_policy=RetryPolicy(max_attempts=2, base_delay=0.001),
        sleep=lambda _s: None,
    )
    with pytest.raises(JiraUnavailableError, match="did not answer"):
        client.myself()


def test_projects_both_flavours(cloud: RunningJira, server: RunningJira) -> None:
    for jira in (cloud, server):
        projects = list(jira.client().iter_projects())
        assert [p["key"] for p in projects] == sorted(p.key for p in jira.emulator.ds.projects.values())
        assert all(isinstance(p["id"], str) and p["lead"] and "description" in p for p in projects)


def test_cloud_project_listing_follows_pages_of_100() -> None:
    with running_jira("cloud", projects=205, issues=0) as jira:
        before = jira.emulator.requests
        projects = list(jira.client(deployment="cloud").iter_projects())
        assert len(projects) == len({p["id"] for p in projects}) == 205
        assert jira.emulator.requests - before == 3


def test_get_issue_and_permissions(cloud: RunningJira, server: RunningJira) -> None:
    client = cloud.client()
    issue = get_issue(client, "10003")
    assert issue is not None and issue["id"] == "10003" and "summary" in issue["fields"]
    assert get_issue(client, "NOPE-1") is None
    assert has_permission(client, "ADMINISTER") is True
    bob = server.client(credentials=JiraCredentials.basic("bob", "pw"))
    assert has_permission(bob, "ADMINISTER") is False


def test_issue_pages_with_user_jql_and_fields(cloud: RunningJira) -> None:
    project = next(iter(cloud.emulator.ds.projects.values()))
    jql = f"project = {project.key} ORDER BY created DESC"  # the ORDER BY is replaced by id order
    issues = all_issues(cloud.client(), jql, fields="summary,status", page_size=7)
    assert [int(i["id"]) for i in issues] == cloud.emulator.ds.by_project[project.id]
    assert set(issues[0]["fields"]) == {"summary", "status"}


def test_not_found_paths_raise_not_found(cloud: RunningJira) -> None:
    with pytest.raises(JiraNotFoundError):
        cloud.client().request("GET", "/rest/api/2/nothing-here")
