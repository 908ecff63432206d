"""Local Port: blueprint CRUD and validation, entity search with cursor, include and rules."""

from __future__ import annotations

import copy
from typing import Any

from tests.unit.port.emulator_support import SERVICE, Api


def test_blueprint_crud(api: Api) -> None:
    definition = {
        "identifier": "repo",
        "title": "Repo",
        "schema": {"properties": {"lang": {"type": "string"}}},
    }
    created = api.call("POST", "/v1/blueprints", json=definition)
    assert created.status_code == 201
    stored = created.json()["blueprint"]
    assert stored["schema"] == {"properties": {"lang": {"type": "string"}}, "required": []}
    assert {"createdAt", "updatedAt", "createdBy", "updatedBy"} <= set(stored)
    assert api.call("POST", "/v1/blueprints", json=definition).status_code == 409
    assert api.call("GET", "/v1/blueprints/repo").json()["blueprint"]["title"] == "Repo"
    replaced = api.call("PUT", "/v1/blueprints/repo", json={**definition, "title": "Repository"})
    assert replaced.status_code == 200 and replaced.json()["blueprint"]["title"] == "Repository"
    assert replaced.json()["blueprint"]["createdAt"] == stored["createdAt"]
    listed = api.call("GET", "/v1/blueprints").json()["blueprints"]
    assert {b["identifier"] for b in listed} == {"team", "service", "repo"}
    assert api.call("DELETE", "/v1/blueprints/repo").json() == {"ok": True}
    assert api.call("GET", "/v1/blueprints/repo").status_code == 404


def test_blueprint_validation(api: Api) -> None:
    base = {"identifier": "x", "title": "X", "schema": {"properties": {}}}
    bad = [
        {**base, "identifier": "has=equals"},
        {**base, "title": ""},
        {k: v for k, v in base.items() if k != "schema"},
        {**base, "schema": {"properties": {"p": {"type": "date"}}}},
        {**base, "schema": {"properties": {"p": {"type": "string", "format": "nope"}}}},
        {**base, "schema": {"properties": {}, "required": ["missing"]}},
        {**base, "schema": {"properties": {}, "extra": 1}},
        {**base, "relations": {"r": {"target": "team"}}},
    ]
    for body in bad:
        answer = api.call("POST", "/v1/blueprints", json=body)
        assert answer.status_code == 422, body
    missing_target = {**base, "relations": {"r": {"target": "ghost", "required": False, "many": False}}}
    assert api.call("POST", "/v1/blueprints", json=missing_target).status_code == 404
    itself = {**base, "relations": {"r": {"target": "x", "required": False, "many": True}}}
    assert api.call("POST", "/v1/blueprints", json=itself).status_code == 201


def test_blueprint_with_entities_or_dependents_cannot_be_deleted(api: Api) -> None:
    api.service("svc")
    assert api.call("DELETE", "/v1/blueprints/service").status_code == 422
    assert api.call("DELETE", "/v1/blueprints/team").status_code == 422


def test_type_change_with_values_is_forbidden(api: Api) -> None:
    api.service("svc", properties={"name": "svc", "count": 3})
    changed = copy.deepcopy(SERVICE)
    changed["schema"]["properties"]["count"] = {"type": "string"}
    answer = api.call("PUT", "/v1/blueprints/service", json=changed)
    assert answer.status_code == 422 and answer.json()["error"] == "forbidden_format_change"


def test_removed_properties_and_relations_leave_entities(api: Api) -> None:
    api.service("svc", properties={"name": "svc", "tier": "gold"})
    reduced = copy.deepcopy(SERVICE)
    del reduced["schema"]["properties"]["tier"]
    reduced["relations"] = {}
    assert api.call("PUT", "/v1/blueprints/service", json=reduced).status_code == 200
    entity = api.emu.entities("service")["svc"]
    assert entity["properties"] == {"name": "svc"} and entity["relations"] == {}


def _search(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    answer = api.call("POST", "/v1/blueprints/service/entities/search", json=body)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_search_pages_with_a_cursor_and_includes_only_asked_fields(api: Api) -> None:
    for i in range(25):
        api.service(f"s{i:02d}", properties={"name": f"s{i:02d}", "tier": "gold" if i % 2 else "silver"})
    seen: list[str] = []
    body: dict[str, Any] = {"include": ["$identifier"], "limit": 10}
    pages = 0
    while True:
        page = _search(api, body)
        pages += 1
        entities = page["entities"]
        assert isinstance(entities, list)
        assert all(set(e) == {"identifier"} for e in entities)
        seen += [e["identifier"] for e in entities]
        if "next" not in page:
            break
        body = {**body, "from": page["next"]}
    assert pages == 3 and seen == sorted(f"s{i:02d}" for i in range(25))


def test_search_cursor_survives_writes_between_pages(api: Api) -> None:
    for i in range(6):
        api.service(f"s{i}")
    first = _search(api, {"include": ["$identifier"], "limit": 3})
    api.call("DELETE", "/v1/blueprints/service/entities/s0", params={"delete_dependents": "false"})
    api.service("s9")
    rest = _search(api, {"include": ["$identifier"], "limit": 3, "from": first["next"]})
    assert [e["identifier"] for e in rest["entities"]] == ["s3", "s4", "s5"]


def test_search_rules_and_limits(api: Api) -> None:
    for i in range(4):
        api.service(f"s{i}", properties={"name": f"s{i}", "tier": "gold" if i < 2 else "silver"})
    query = {"combinator": "and", "rules": [{"property": "tier", "operator": "=", "value": "gold"}]}
    found = _search(api, {"query": query, "include": ["$identifier", "tier"]})
    assert found["entities"] == [
        {"identifier": "s0", "properties": {"tier": "gold"}},
        {"identifier": "s1", "properties": {"tier": "gold"}},
    ]
    path = "/v1/blueprints/service/entities/search"
    assert api.call("POST", path, json={"limit": 1001}).status_code == 422
    assert api.call("POST", path, json={"limit": 0}).status_code == 422
    assert api.call("POST", path, json={"unknown": 1}).status_code == 422
    assert api.call("POST", path, json={"from": "not-a-cursor"}).status_code == 422
