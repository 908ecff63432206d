"""``GET /rest/api/{2,3}/field`` on the Jira emulator: Cloud's ``FieldDetails`` shape, the custom fields the
emulated issues carry (docs/jira-behaviour.md, "Field list")."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.support.jira_emulator import CLOUD_LOGIN, SERVER_PAT, RunningJira, running_jira
from tests.support.openapi import check_response


@pytest.fixture(scope="module", params=["cloud", "server"])
def jira(request: pytest.FixtureRequest) -> Iterator[RunningJira]:
    with running_jira(request.param, projects=1, issues=5) as running:
        yield running


def _get(jira: RunningJira, path: str) -> requests.Response:
    auth = CLOUD_LOGIN if jira.flavour == "cloud" else None
    headers = {} if jira.flavour == "cloud" else {"Authorization": f"Bearer {SERVER_PAT}"}
    return requests.get(f"{jira.url}{path}", auth=auth, headers=headers, timeout=10)


def _fields(jira: RunningJira, version: int = 2) -> requests.Response:
    return _get(jira, f"/rest/api/{version}/field")


def test_the_field_list_matches_the_cloud_spec(jira: RunningJira) -> None:
    answer = _fields(jira, 3)
    assert answer.status_code == 200
    assert check_response("jira", "GET", f"{jira.url}/rest/api/3/field", 200, answer.json()) == []


def test_every_custom_field_on_an_issue_is_listed_with_its_custom_type(jira: RunningJira) -> None:
    listed = {f["id"]: f for f in _fields(jira).json()}
    key = next(iter(jira.emulator.ds.issues))  # the numeric id
    issue = _get(jira, f"/rest/api/2/issue/{key}").json()
    custom = {name for name in issue["fields"] if name.startswith("customfield_")}
    assert custom and custom <= set(listed)
    for name in custom:
        field = listed[name]
        assert field["custom"] is True
        assert field["schema"]["customId"] == int(name.removeprefix("customfield_"))
        assert field["schema"]["custom"].startswith(
            ("com.atlassian.jira.plugin.system.customfieldtypes:", "com.pyxis")
        )
    sprint = next(f for f in listed.values() if f["name"] == "Sprint")
    assert sprint["schema"]["custom"] == "com.pyxis.greenhopper.jira:gh-sprint"
    assert sprint["schema"]["type"] == "array" and sprint["schema"]["items"] == "json"
    assert listed["summary"]["schema"] == {"type": "string", "system": "summary"}
    assert listed["summary"]["custom"] is False
