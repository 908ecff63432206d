"""The emulator over HTTP: what real Jira rejects is rejected, and Cloud answers match the official spec."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from jira_port_emulators.jira import JiraFaults
from tests.support.jira_emulator import CLOUD_LOGIN, SERVER_PAT, RunningJira, running_jira
from tests.support.openapi import check_request, check_response

REMOVED = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)


@pytest.fixture(scope="module")
def cloud() -> Iterator[RunningJira]:
    with running_jira("cloud", projects=3, issues=120) as jira:
        yield jira


@pytest.fixture(scope="module")
def server() -> Iterator[RunningJira]:
    with running_jira("server", projects=2, issues=60, result_window=50, server_max_results=20) as jira:
        yield jira


def _call(jira: RunningJira, method: str, path: str, **kwargs: Any) -> requests.Response:
    auth = CLOUD_LOGIN if jira.flavour == "cloud" else None
    headers = kwargs.pop("headers", {})
    if jira.flavour == "server":
        headers.setdefault("Authorization", f"Bearer {SERVER_PAT}")
    return requests.request(method, jira.url + path, auth=auth, headers=headers, timeout=10, **kwargs)


def _valid(method: str, url: str, response: requests.Response, body: Any = None) -> Any:
    """Assert request and response conform to the Cloud spec; return the JSON body."""
    data = response.json() if response.content else None
    assert check_request("jira", method, url, body=body) == []
    assert check_response("jira", method, url, response.status_code, data) == []
    return data


def test_search_jql_pages_with_tokens_and_validates(cloud: RunningJira) -> None:
    body = {"jql": "project IS NOT EMPTY ORDER BY id ASC", "maxResults": 50, "fields": ["summary", "status"]}
    url = cloud.url + "/rest/api/3/search/jql"
    seen: list[str] = []
    while True:
        response = _call(cloud, "POST", "/rest/api/3/search/jql", json=body)
        assert response.status_code == 200
        page = _valid("POST", url, response, body)
        assert "total" not in page and "startAt" not in page
        seen += [i["id"] for i in page["issues"]]
        if page["isLast"]:
            assert "nextPageToken" not in page
            break
        body = {**body, "nextPageToken": page["nextPageToken"]}
    assert len(seen) == len(set(seen)) == 120
    keys = [cloud.emulator.ds.issue_key(cloud.emulator.ds.issues[int(i)]) for i in seen]
    order = [(k.rsplit("-", 1)[0], int(k.rsplit("-", 1)[1])) for k in keys]
    assert order == sorted(order)  # ORDER BY id is key order (project key, key number)


def test_search_jql_defaults_to_ids_only_and_get_works(cloud: RunningJira) -> None:
    path = "/rest/api/2/search/jql?jql=project%20is%20not%20empty&maxResults=3"
    response = _call(cloud, "GET", path)
    page = _valid("GET", cloud.url + path, response)
    assert [set(i) for i in page["issues"]] == [{"id"}] * 3 and page["isLast"] is False


def test_v3_returns_adf_descriptions_and_v2_strings(cloud: RunningJira) -> None:
    body = {"jql": "project is not empty ORDER BY id", "maxResults": 100, "fields": ["description"]}
    v3 = _call(cloud, "POST", "/rest/api/3/search/jql", json=body).json()["issues"]
    v2 = _call(cloud, "POST", "/rest/api/2/search/jql", json=body).json()["issues"]
    described = [n for n, i in enumerate(v2) if i["fields"]["description"]]
    assert described
    assert isinstance(v2[described[0]]["fields"]["description"], str)
    assert v3[described[0]]["fields"]["description"]["type"] == "doc"
    assert v2[0]["self"].startswith(cloud.url + "/rest/api/2/issue/")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"jql": "ORDER BY key"}, "Unbounded JQL queries are not allowed here."),
        ({"jql": ""}, "Unbounded JQL queries are not allowed here."),
        ({"jql": "project is not empty", "maxResults": 0}, "between 1 and 5000"),
        ({"jql": "project is not empty", "maxResults": 5001}, "between 1 and 5000"),
        ({"jql": "project is not empty", "nextPageToken": "garbage"}, "next page token is invalid"),
        ({"jql": "project is not empty", "startAt": 0}, 'unrecognized field "startAt"'),
        ({"jql": "id > 99999 ORDER BY id"}, "A value with ID '99999' does not exist for the field 'id'."),
    ],
)
def test_cloud_rejects_what_jira_rejects(cloud: RunningJira, body: dict[str, Any], message: str) -> None:
    response = _call(cloud, "POST", "/rest/api/3/search/jql", json=body)
    assert response.status_code == 400
    data = response.json()
    # Jira's ErrorCollection (the spec documents the status without a body schema)
    assert set(data) == {"errorMessages", "errors"}
    assert message in " ".join(data["errorMessages"]) and data["errors"] == {}


def test_token_of_another_query_is_rejected(cloud: RunningJira) -> None:
    first = {"jql": "project is not empty ORDER BY id", "maxResults": 10}
    token = _call(cloud, "POST", "/rest/api/2/search/jql", json=first).json()["nextPageToken"]
    other = {"jql": "statusCategory = Done ORDER BY id", "nextPageToken": token}
    assert _call(cloud, "POST", "/rest/api/2/search/jql", json=other).status_code == 400


@pytest.mark.parametrize("version", ["2", "3", "latest"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_removed_search_answers_410(cloud: RunningJira, version: str, method: str) -> None:
    response = _call(cloud, method, f"/rest/api/{version}/search", json={"jql": "project = X"})
    assert response.status_code == 410
    message = response.json()["errorMessages"][0]
    assert message == REMOVED if version != "latest" else "newer, enhanced search-based API" in message


def test_approximate_count(cloud: RunningJira) -> None:
    response = _call(
        cloud, "POST", "/rest/api/3/search/approximate-count", json={"jql": "project is not empty"}
    )
    assert _valid("POST", cloud.url + "/rest/api/3/search/approximate-count", response, {"jql": "x"}) == {
        "count": 120
    }


def test_project_search_pages_and_validates(cloud: RunningJira) -> None:
    path = "/rest/api/3/project/search?startAt=0&maxResults=2&expand=description,lead,insight"
    page = _valid("GET", cloud.url + path, _call(cloud, "GET", path))
    assert page["total"] == 3 and page["isLast"] is False and len(page["values"]) == 2
    assert page["nextPage"].endswith("startAt=2&maxResults=2")
    assert page["values"][0]["insight"]["totalIssueCount"] > 0
    capped = _call(cloud, "GET", "/rest/api/2/project/search?maxResults=500").json()
    assert capped["maxResults"] == 100 and capped["isLast"] is True


@pytest.mark.parametrize(
    "path",
    [
        "/rest/api/3/serverInfo",
        "/rest/api/3/myself",
        "/rest/api/3/mypermissions?permissions=ADMINISTER",
        "/rest/api/3/project/10000",
        "/rest/api/3/issue/10005",
        "/rest/api/2/issue/10005?fields=summary,status&expand=names",
    ],
)
def test_cloud_responses_match_the_spec(cloud: RunningJira, path: str) -> None:
    response = _call(cloud, "GET", path)
    assert response.status_code == 200
    _valid("GET", cloud.url + path, response)


def test_unauthenticated_calls_get_401_but_server_info_is_public(cloud: RunningJira) -> None:
    response = requests.get(cloud.url + "/rest/api/2/myself", timeout=5)
    assert response.status_code == 401 and response.json()["errorMessages"]
    wrong = requests.get(cloud.url + "/rest/api/2/myself", auth=("admin@example.com", "nope"), timeout=5)
    assert wrong.status_code == 401
    bearer = requests.get(cloud.url + "/rest/api/2/myself", headers={"Authorization": "Bearer x"}, timeout=5)
    assert bearer.status_code == 401  # Cloud site URLs take no Bearer API tokens
    assert requests.get(cloud.url + "/rest/api/2/serverInfo", timeout=5).json()["deploymentType"] == "Cloud"


def test_server_search_offsets_total_cap_and_result_window(server: RunningJira) -> None:
    response = _call(server, "POST", "/rest/api/2/search", json={"jql": "order by id", "maxResults": 100})
    page = response.json()
    assert page["total"] == 60 and page["maxResults"] == 20 and len(page["issues"]) == 20
    assert "summary" in page["issues"][0]["fields"] and "comment" not in page["issues"][0]["fields"]
    # Given a 50-result window (10,000 on a real instance), deep offsets fail like Data Center's
    deep = _call(server, "GET", "/rest/api/2/search?jql=order%20by%20id&startAt=40&maxResults=20")
    assert deep.status_code == 500
    assert "Search limit exceeded" in deep.json()["errorMessages"][0]
    # while keyset paging never reaches it
    ds = server.emulator.ds
    anchor = ds.issues[10050]
    keyset = _call(
        server, "POST", "/rest/api/2/search", json={"jql": "id > 10050 ORDER BY id", "maxResults": 20}
    )
    # id > N stays in N's project and compares key numbers there
    in_project = [i for i in ds.issues.values() if i.project_id == anchor.project_id]
    assert keyset.status_code == 200
    assert keyset.json()["total"] == sum(1 for i in in_project if i.number > anchor.number)


def test_server_has_no_cloud_endpoints_and_accepts_pat_and_password(server: RunningJira) -> None:
    assert _call(server, "POST", "/rest/api/2/search/jql", json={"jql": "x"}).status_code == 404
    assert _call(server, "GET", "/rest/api/2/project").json()[0]["archived"] is False
    basic = requests.get(server.url + "/rest/api/2/myself", auth=("admin", "admin"), timeout=5)
    assert basic.status_code == 200 and basic.json()["key"].startswith("JIRAUSER")
    failed = requests.get(server.url + "/rest/api/2/myself", auth=("admin", "wrong"), timeout=5)
    assert failed.status_code == 401 and failed.headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"
    info = requests.get(server.url + "/rest/api/2/serverInfo", timeout=5).json()
    assert info["deploymentType"] == "DataCenter" and info["versionNumbers"][0] == 10


def test_throttling_headers() -> None:
    with running_jira("cloud", issues=5, faults=JiraFaults(throttle_rate=1.0, retry_after=2.0)) as jira:
        response = _call(jira, "GET", "/rest/api/2/myself")
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "2"
        assert response.headers["RateLimit-Reason"] == "jira-burst-based"
        assert response.headers["X-RateLimit-Remaining"] == "0" and "X-RateLimit-Reset" in response.headers
        # faults can be changed while running
        jira.emulator.faults.update(throttle_rate=0.0)
        assert _call(jira, "GET", "/rest/api/2/myself").status_code == 200


def test_names_and_schema_expansion_validates(cloud: RunningJira) -> None:
    body = {"jql": "project is not empty", "maxResults": 2, "fields": ["summary", "customfield_10020"],
            "expand": "names,schema"}  # fmt: skip
    response = _call(cloud, "POST", "/rest/api/3/search/jql", json=body)
    page = _valid("POST", cloud.url + "/rest/api/3/search/jql", response, body)
    assert page["names"] == {"summary": "Summary", "customfield_10020": "Sprint"}
    assert page["schema"]["customfield_10020"]["customId"] == 10020


def test_cloud_pages_may_be_short_or_empty_and_still_carry_a_token() -> None:
    # Only an absent nextPageToken (or isLast) ends a Cloud chain; short and empty pages do not
    with running_jira("cloud", projects=2, issues=80, faults=JiraFaults(short_page_rate=0.5, seed=3)) as jira:
        body: dict[str, Any] = {"jql": "project is not empty ORDER BY key", "maxResults": 10}
        seen: list[str] = []
        sizes: list[int] = []
        for _ in range(500):
            page = _call(jira, "POST", "/rest/api/3/search/jql", json=body).json()
            sizes.append(len(page["issues"]))
            seen += [i["id"] for i in page["issues"]]
            if "nextPageToken" not in page:
                assert page["isLast"] is True
                break
            assert page["isLast"] is False
            body = {**body, "nextPageToken": page["nextPageToken"]}
    assert sorted(seen, key=int) == sorted(str(i) for i in jira.emulator.ds.issues)
    assert 0 in sizes[:-1] and any(0 < s < 10 for s in sizes[:-1])


def test_server_window_limit_counts_start_at_plus_max_results(server: RunningJira) -> None:
    # startAt + maxResults > window is refused even when fewer issues would come back
    ok = _call(server, "GET", "/rest/api/2/search?jql=order%20by%20key&startAt=30&maxResults=20")
    refused = _call(server, "GET", "/rest/api/2/search?jql=order%20by%20key&startAt=31&maxResults=20")
    assert ok.status_code == 200 and refused.status_code == 500
    assert "Search limit exceeded" in refused.json()["errorMessages"][0]


def test_move_route_and_changelog_expansion() -> None:
    with running_jira("server", projects=2, issues=40) as server:
        _move_and_expand(server)


def _move_and_expand(server: RunningJira) -> None:
    ds = server.emulator.ds
    a, b = sorted(p.key for p in ds.projects.values())[:2]
    leaf = next(i for i in ds.issues.values() if ds.projects[i.project_id].key == a and not i.parent_id)
    old = ds.issue_key(leaf)
    moved = requests.post(f"{server.url}/_emulator/issues/{old}/move", json={"project": b}, timeout=5)
    assert moved.status_code == 200 and moved.json()["id"] == str(leaf.id)
    new = moved.json()["key"]
    assert new.startswith(f"{b}-")
    body = {"jql": f"key = {old}", "fields": ["summary"], "expand": ["changelog"]}
    (issue,) = _call(server, "POST", "/rest/api/2/search", json=body).json()["issues"]
    assert issue["key"] == new  # the old key still resolves, to the issue under its new key
    items = issue["changelog"]["histories"][-1]["items"]
    assert {"field": "Key", "fromString": old, "toString": new}.items() <= items[-1].items()
    again = requests.post(f"{server.url}/_emulator/issues/{new}/move", json={"project": b}, timeout=5)
    assert again.status_code == 400
