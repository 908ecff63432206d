"""``jira.projects.iter_projects``: Cloud's first project page goes out with the deployment detection."""

from __future__ import annotations

import threading
from typing import Any, cast

import pytest

from jira_port.jira.client import JiraClient
from jira_port.jira.projects import insight_issue_count, iter_projects

CLOUD_PAGE = {"values": [{"id": "1", "key": "A", "insight": {"totalIssueCount": 7}}], "isLast": True}


class FakeClient:
    """Detection that finishes only once Cloud's project page was asked for (so only a listing that
    sends both at once gets through); ``known`` = the deployment was configured."""

    def __init__(self, kind: str, *, known: bool = False) -> None:
        self.kind, self.known = kind, known
        self.paths: list[str] = []
        self.asked = threading.Event()

    @property
    def deployment_known(self) -> bool:
        return self.known

    @property
    def deployment(self) -> str:
        if not self.known:
            assert self.asked.wait(5), "the project page waited for the detection"
            self.known = True
        return self.kind

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None) -> Any:
        self.paths.append(path)
        if path == "/rest/api/2/project/search":
            self.asked.set()
            return CLOUD_PAGE
        assert path == "/rest/api/2/project"
        return [{"id": "2", "key": "S"}]


def _list(client: FakeClient) -> list[str]:
    return [p["key"] for p in iter_projects(cast(JiraClient, client))]


def test_cloud_listing_does_not_wait_for_detection() -> None:
    client = FakeClient("cloud")
    assert _list(client) == ["A"]
    assert client.paths == ["/rest/api/2/project/search"]


def test_server_drops_the_speculative_cloud_page() -> None:
    client = FakeClient("server")
    assert _list(client) == ["S"]
    assert client.paths[-1] == "/rest/api/2/project"


@pytest.mark.parametrize("kind", ["cloud", "server"])
def test_a_known_deployment_asks_once(kind: str) -> None:
    client = FakeClient(kind, known=True)
    _list(client)
    assert len(client.paths) == 1


def test_insight_issue_count() -> None:
    assert insight_issue_count(CLOUD_PAGE["values"][0]) == 7  # type: ignore[index]
    for project in (
        {},
        {"insight": None},
        {"insight": {"totalIssueCount": "7"}},
        {"insight": {"totalIssueCount": True}},
    ):
        assert insight_issue_count(project) is None
