"""Cloud ``POST /rest/api/3/jql/parse`` in the emulator, against the spec's own example
(docs/jira-behaviour.md, "JQL validation"); Data Center validates with a ``validateQuery`` search instead."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.support.jira_emulator import CLOUD_LOGIN, SERVER_PAT, RunningJira, running_jira
from tests.support.openapi import SPEC_FILES, check_request, check_response

# From the spec's example request; the first one uses CHANGED, which the emulator does not implement.
EXAMPLE_QUERIES = ["invalid query", "summary = test", "project = INVALID", "universe = 42"]


@pytest.fixture(scope="module")
def cloud() -> Iterator[RunningJira]:
    with running_jira("cloud", projects=2, issues=10) as jira:
        yield jira


def _parse(jira: RunningJira, queries: Any, validation: str | None = "strict") -> requests.Response:
    query = f"?validation={validation}" if validation else ""
    url = f"{jira.url}/rest/api/3/jql/parse{query}"
    response = requests.post(url, json={"queries": queries}, auth=CLOUD_LOGIN, timeout=10)
    if response.status_code == 200:
        assert check_request("jira", "POST", url, body={"queries": queries}) == []
        assert check_response("jira", "POST", url, 200, response.json()) == []
    return response


def _spec_example() -> dict[str, Any]:
    spec = json.loads(SPEC_FILES["jira"].read_text(encoding="utf-8"))
    content = spec["paths"]["/rest/api/3/jql/parse"]["post"]["responses"]["200"]["content"]
    example: dict[str, Any] = json.loads(content["application/json"]["example"])
    return example


def test_the_spec_example_answer_is_valid_for_the_checker() -> None:
    assert check_response("jira", "POST", "https://x/rest/api/3/jql/parse", 200, _spec_example()) == []


def test_errors_and_warnings_match_the_spec_example(cloud: RunningJira) -> None:
    expected = {q["query"]: q for q in _spec_example()["queries"]}
    answer = _parse(cloud, EXAMPLE_QUERIES).json()["queries"]
    for got in answer:
        want = expected[got["query"]]
        assert got.get("errors") == want.get("errors"), got["query"]
        assert got.get("warnings") == want.get("warnings"), got["query"]
        assert ("structure" in got) == ("structure" in want), got["query"]


def test_a_valid_query_gets_its_structure(cloud: RunningJira) -> None:
    (parsed,) = _parse(
        cloud, ["project is not EMPTY AND (status = Done OR assignee is EMPTY) ORDER BY key"]
    ).json()["queries"]
    assert "errors" not in parsed
    where = parsed["structure"]["where"]
    assert where["operator"] == "and"
    assert where["clauses"][0]["operand"] == {"keyword": "empty"}
    assert parsed["structure"]["orderBy"]["fields"][0]["field"]["name"] == "key"


def test_validation_modes(cloud: RunningJira) -> None:
    (warn,) = _parse(cloud, ["universe = 42"], "warn").json()["queries"]
    assert warn["errors"] and "structure" in warn
    (none,) = _parse(cloud, ["universe = 42"], "none").json()["queries"]
    assert "errors" not in none and "structure" in none


@pytest.mark.parametrize(
    ("queries", "validation"),
    [(["a = b"], None), (["a = b"], "loose"), ([], "strict"), ([""], "strict"), ("a = b", "strict")],
)
def test_bad_requests_are_400(cloud: RunningJira, queries: Any, validation: str | None) -> None:
    response = _parse(cloud, queries, validation)
    assert response.status_code == 400
    assert response.json()["errorMessages"]


def test_data_center_has_no_parse_endpoint_but_validates_with_a_search() -> None:
    with running_jira("server", projects=1, issues=3) as jira:
        headers = {"Authorization": f"Bearer {SERVER_PAT}"}
        url = f"{jira.url}/rest/api/2/jql/parse?validation=strict"
        assert requests.post(url, json={"queries": ["a = b"]}, headers=headers, timeout=10).status_code == 404
        search = f"{jira.url}/rest/api/2/search"
        bad = {"jql": "universe = 42", "maxResults": 0, "validateQuery": True}
        answer = requests.post(search, json=bad, headers=headers, timeout=10)
        assert answer.status_code == 400
        assert answer.json()["errorMessages"] == [
            "Field 'universe' does not exist or you do not have permission to view it."
        ]
        good = {"jql": "project is not EMPTY", "maxResults": 0, "validateQuery": True}
        answer = requests.post(search, json=good, headers=headers, timeout=10)
        assert answer.status_code == 200 and answer.json()["issues"] == []
