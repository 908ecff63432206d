"""Every request the client sends, and every answer the emulator gives, matches Port's OpenAPI spec."""

from __future__ import annotations

from typing import Any

import pytest

from jira_port.port import PortAPIError
from jira_port_emulators.port import PortEmulator, PortFaults
from jira_port_tools.blueprints import apply_blueprints, bundled_blueprints
from jira_port_tools.port_admin import delete_entity, get_blueprint, get_entity, upsert_entity
from tests.support.openapi import check_request, check_response
from tests.support.port_emulator import CLIENT_ID, CLIENT_SECRET, client_for

VERSION = {
    "identifier": "jiraVersion",
    "title": "Jira Version",
    "schema": {"properties": {"released": {"type": "boolean"}}, "required": []},
    "relations": {"project": {"title": "Project", "target": "jiraProject", "required": True, "many": False}},
}


def issue(i: int, description_size: int = 0) -> dict[str, Any]:
    return {
        "identifier": f"PROJ-{i}",
        "title": f"Issue {i}",
        "properties": {"summary": f"S{i}", "description": "d" * description_size, "labels": ["a"]},
        "relations": {"project": "PROJ", "parentIssue": None},
    }


def varied_run(emu: PortEmulator) -> None:
    """Exercise every client call, including 207, 413 split, 401 refresh, fallbacks and faults."""
    with client_for(emu, max_concurrency=4) as client:
        apply_blueprints(client, [*bundled_blueprints(), VERSION])
        upsert_entity(client, "jiraProject", {"identifier": "PROJ", "title": "Project", "properties": {}})
        upsert_entity(
            client, "jiraProject", {"identifier": "OTHER", "properties": {"url": None}}, merge=False
        )
        client.upsert_entities("jiraVersion", [{"identifier": "v1", "relations": {"project": "PROJ"}}])
        mixed = [issue(i) for i in range(45)]
        mixed[7]["properties"]["unknown"] = 1
        client.upsert_entities("jiraIssue", mixed)
        client.upsert_entities("jiraIssue", [issue(100 + i, 4000) for i in range(20)])  # 413 → halves
        emu.expire_tokens()  # the next call meets a 401 and refreshes
        assert get_entity(client, "jiraIssue", "PROJ-1") is not None
        assert get_entity(client, "jiraIssue", "nope") is None
        assert get_blueprint(client, "nope") is None
        assert len(list(client.iter_entity_identifiers("jiraIssue", page_size=10))) == 64
        assert delete_entity(client, "jiraIssue", "PROJ-2") is True
        assert delete_entity(client, "jiraIssue", "PROJ-2") is False
        client.delete_entities("jiraIssue", [f"PROJ-{i}" for i in range(10, 20)])
        blocked = client.delete_entities("jiraProject", ["OTHER", "PROJ"])  # PROJ has a required dependent
        assert [f.identifier for f in blocked.failures] == ["PROJ"]
        client.delete_entities("jiraProject", ["PROJ"], delete_dependents=True)
        with pytest.raises(PortAPIError):
            upsert_entity(client, "nope", {"identifier": "x"})


def test_client_requests_and_emulator_answers_match_the_spec() -> None:
    emu = PortEmulator(
        CLIENT_ID,
        CLIENT_SECRET,
        faults=PortFaults(error_rate=0.05, throttle_rate=0.05, retry_after=0.01, seed=5),
        max_body_bytes=50_000,
    )
    with emu.running():
        varied_run(emu)
    records = emu.requests
    statuses = {r.status for r in records}
    assert {200, 201, 207, 401, 404, 413, 422} <= statuses  # the run was varied
    assert statuses & {429, 500, 503}
    routes = {(r.method, r.path.split("/")[3] if r.path.count("/") > 2 else r.path) for r in records}
    assert len(routes) >= 4
    problems = []
    for record in records:
        url = f"http://127.0.0.1{record.url}"
        for problem in check_request("port", record.method, url, body=record.body):
            problems.append(f"request {record.method} {record.url}: {problem}")
        for problem in check_response("port", record.method, url, record.status, record.response):
            problems.append(f"response {record.status} {record.method} {record.url}: {problem}")
    assert problems == []


@pytest.mark.parametrize(
    ("method", "url", "body", "fragment"),
    [
        ("POST", "/v1/blueprints/b/entities/bulk?upsert=true", {"entities": []}, "should be non-empty"),
        (
            "POST",
            "/v1/blueprints/b/entities/bulk",
            {"entities": [{"identifier": "a"}]},
            "'upsert' is required",
        ),
        ("POST", "/v1/blueprints/b/entities?upsert=yes", {"identifier": "a"}, "not of type 'boolean'"),
        ("POST", "/v1/blueprints/b/entities?upsert=true", {"identifier": "a b"}, "is not valid under any"),
        (
            "POST",
            "/v1/blueprints/b/bulk/entities/delete",
            {"entities": ["a"]},
            "'delete_dependents' is required",
        ),
        ("POST", "/v1/auth/access_token", {"clientId": "a"}, "'clientSecret' is a required property"),
        ("POST", "/v1/blueprints/b/entities/search", {"limit": 5000}, "is greater than the maximum"),
        ("GET", "/v1/nowhere", None, "matches no path"),
        ("PATCH", "/v1/auth/access_token", None, "not an operation"),
    ],
)
def test_the_checker_catches_bad_requests(method: str, url: str, body: Any, fragment: str) -> None:
    problems = check_request("port", method, f"https://api.port.io{url}", body=body)
    assert any(fragment in p for p in problems), problems


def test_the_checker_catches_bad_responses_and_allows_documented_extras() -> None:
    url = "https://api.port.io/v1/blueprints/b/entities/e"
    entity = {"identifier": "e", "properties": {}, "relations": {}, "blueprint": "b", "createdAt": "t"}
    assert check_response("port", "GET", url, 200, {"ok": True, "entity": entity}) == []
    assert check_response("port", "GET", url, 200, {"ok": True, "entity": {**entity, "surprise": 1}})
    assert check_response("port", "GET", url, 200, {"entity": entity})  # ok is required
    assert check_response("port", "GET", url, 418, {"ok": False, "error": "teapot"})
    assert check_response("port", "GET", url, 429, {"ok": False, "error": "rate_limited"}) == []
    assert check_response("port", "GET", url, 503, {"error": "x"})  # envelope needs ok=false


def test_jira_spec_is_usable_too() -> None:
    base = "https://example.atlassian.net"
    assert check_request("jira", "GET", f"{base}/rest/api/3/search/jql?jql=project%3DX&maxResults=50") == []
    assert check_request("jira", "GET", f"{base}/rest/api/3/search/jql?maxResults=lots") != []
    assert check_request("jira", "GET", "https://jira.corp/jira/rest/api/2/project/search?startAt=0") == []
    assert check_response("jira", "GET", f"{base}/rest/api/3/serverInfo", 200, {"baseUrl": base}) == []
    assert check_response("jira", "GET", f"{base}/rest/api/3/serverInfo", 200, {"baseUrl": 5}) != []
