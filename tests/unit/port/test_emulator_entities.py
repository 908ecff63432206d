"""Local Port: identifiers, blueprint validation of entities, the upsert matrix, relations, deletes, bulk."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.port.emulator_support import Api


@pytest.mark.parametrize(
    "ident",
    ["PROJ-123", "557058:69f3a1b2-c3d4", "jane.doe+x@example.com", "Überweisung", "a/b\\c=d", "x" * 1000],
)
def test_valid_identifiers(api: Api, ident: str) -> None:
    answer = api.upsert("team", {"identifier": ident})
    assert answer.status_code == 201, answer.text
    assert (
        api.call("GET", "/v1/blueprints/team/entities/" + ident.replace("/", "%2F")).json()["entity"][
            "identifier"
        ]
        == ident
    )


@pytest.mark.parametrize("ident", [".", "..", "has space", "a#b", "a?b", "a,b", "", "x" * 1001, 42])
def test_invalid_identifiers_are_422(api: Api, ident: object) -> None:
    answer = api.upsert("team", {"identifier": ident})
    assert answer.status_code == 422 and answer.json()["error"] == "invalid_request"


def test_entity_shape_in_201_answer(api: Api) -> None:
    answer = api.service("svc", title="Service", properties={"name": "svc", "tags": ["a"]})
    assert answer.status_code == 201
    entity = answer.json()["entity"]
    assert answer.json()["ok"] is True
    assert entity["identifier"] == "svc" and entity["title"] == "Service" and entity["blueprint"] == "service"
    assert entity["relations"] == {"team": "core"} and entity["team"] == []
    assert {"createdAt", "updatedAt", "createdBy", "updatedBy"} <= set(entity)


@pytest.mark.parametrize(
    ("properties", "fragment"),
    [
        ({"name": "a", "nope": 1}, "not defined"),
        ({"name": 5}, "type string"),
        ({"name": "a", "count": "7"}, "type number"),
        ({"name": "a", "live": "yes"}, "type boolean"),
        ({"name": "a", "tags": "x"}, "type array"),
        ({"name": "a", "tags": [1]}, "type string"),
        ({"name": "a", "meta": []}, "type object"),
        ({"name": "a", "url": "not a url"}, "format 'url'"),
        ({"name": "a", "when": "2024-01-01"}, "format 'date-time'"),
        ({"name": "a", "when": "2024-02-30T10:00:00Z"}, "format 'date-time'"),
        ({"name": "a", "mail": "nobody"}, "format 'email'"),
        ({"name": "a", "tier": "bronze"}, "one of"),
        ({}, "required property 'name'"),
        ({"name": None}, "required property 'name'"),
    ],
)
def test_properties_are_validated_against_the_blueprint(
    api: Api, properties: dict[str, object], fragment: str
) -> None:
    answer = api.service("svc", properties=properties)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == "invalid_entity" and fragment in answer.json()["message"]
    assert api.emu.entities("service") == {}


def test_valid_values_and_nulls_are_accepted(api: Api) -> None:
    properties = {
        "name": "a",
        "url": "https://jira.example.com/browse/A-1",
        "when": "2024-01-01T10:00:00.000+0000",
        "mail": "a@b.io",
        "tier": "gold",
        "count": 3.5,
        "live": False,
        "tags": [],
        "meta": {"k": 1},
    }
    assert api.service("svc", properties=properties).status_code == 201
    assert api.service("svc2", properties={"name": "b", "url": None, "when": None}).status_code == 201


def test_property_keys_must_match_the_pattern(api: Api) -> None:
    answer = api.service("svc", properties={"name": "a", "bad key": 1})
    assert answer.status_code == 422 and answer.json()["error"] == "invalid_request"


def test_plain_create_conflicts_with_an_existing_entity(api: Api) -> None:
    assert api.upsert("team", {"identifier": "t"}, upsert="false").status_code == 201
    again = api.upsert("team", {"identifier": "t"}, upsert="false")
    assert again.status_code == 409 and again.json()["ok"] is False


def test_upsert_query_parameter_is_required(api: Api) -> None:
    answer = api.call("POST", "/v1/blueprints/team/entities", json={"identifier": "t"})
    assert answer.status_code == 422 and "upsert" in answer.json()["message"]


def test_merge_changes_only_given_fields_and_replace_keeps_only_them(api: Api) -> None:
    api.service(
        "svc",
        title="T",
        properties={"name": "svc", "tier": "gold", "count": 1},
        relations={"team": "core", "buddy": "b"},
    )
    api.upsert("service", {"identifier": "svc", "properties": {"count": 2}}, merge="true")
    merged = api.emu.entities("service")["svc"]
    assert merged["title"] == "T" and merged["properties"] == {"name": "svc", "tier": "gold", "count": 2}
    assert merged["relations"] == {"team": "core", "buddy": "b"}
    created_at = merged["createdAt"]
    api.upsert(
        "service",
        {"identifier": "svc", "properties": {"name": "new"}, "relations": {"team": "core"}},
        merge="false",
    )
    replaced = api.emu.entities("service")["svc"]
    assert "title" not in replaced and replaced["properties"] == {"name": "new"}
    assert replaced["relations"] == {"team": "core"} and replaced["createdAt"] == created_at
    assert api.emu.creation_count("service", "svc") == 1


def test_merge_is_still_validated_on_the_result(api: Api) -> None:
    api.service("svc")
    answer = api.upsert("service", {"identifier": "svc", "properties": {"name": None}}, merge="true")
    assert answer.status_code == 422


def test_missing_relation_target_is_404_unless_created(api: Api) -> None:
    entity = {"identifier": "svc", "properties": {"name": "svc"}, "relations": {"team": "ghost"}}
    answer = api.upsert("service", entity)
    assert answer.status_code == 404 and answer.json()["error"] == "not_found"
    assert api.emu.entities("team") == {}
    assert api.upsert("service", entity, create_missing_related_entities="true").status_code == 201
    bare = api.emu.entities("team")["ghost"]
    assert bare["properties"] == {} and "title" not in bare


def test_relation_shapes(api: Api) -> None:
    api.service("a")
    assert api.service("b", relations={"team": "core", "deps": ["a"], "buddy": None}).status_code == 201
    assert api.service("c", relations={"team": "core", "deps": "a"}).status_code == 422  # many needs an array
    assert (
        api.service("d", relations={"team": "core", "buddy": ["a"]}).status_code == 422
    )  # single needs a string
    assert api.service("e", relations={"team": "core", "nope": "a"}).status_code == 422
    assert api.service("f", relations={"team": "core", "buddy": "f"}).status_code == 201  # itself
    missing_required = api.upsert("service", {"identifier": "g", "properties": {"name": "g"}})
    assert missing_required.status_code == 422 and "required relation" in missing_required.json()["message"]


def test_delete_is_404_when_missing(api: Api) -> None:
    answer = api.call("DELETE", "/v1/blueprints/team/entities/none", params={"delete_dependents": "false"})
    assert answer.status_code == 404 and answer.json()["error"] == "not_found"


def test_required_relation_dependents_block_a_delete_unless_deleted_too(api: Api) -> None:
    api.service("a")
    api.service("b", relations={"team": "core", "deps": ["a"]})
    blocked = api.call("DELETE", "/v1/blueprints/team/entities/core", params={"delete_dependents": "false"})
    assert blocked.status_code == 422 and set(api.emu.entities("service")) == {"a", "b"}
    # an optional relation does not block; the reference is cleared
    assert (
        api.call(
            "DELETE", "/v1/blueprints/service/entities/a", params={"delete_dependents": "false"}
        ).status_code
        == 200
    )
    assert api.emu.entities("service")["b"]["relations"]["deps"] == []
    gone = api.call("DELETE", "/v1/blueprints/team/entities/core", params={"delete_dependents": "true"})
    assert gone.status_code == 200 and gone.json() == {"ok": True}
    assert api.emu.entities("service") == {} and api.emu.entities("team") == {}


def test_bulk_delete_is_all_or_nothing(api: Api) -> None:
    api.upsert("team", {"identifier": "free"})
    api.service("svc")
    path = "/v1/blueprints/team/bulk/entities/delete"
    blocked = api.call(
        "POST", path, params={"delete_dependents": "false"}, json={"entities": ["free", "core"]}
    )
    assert blocked.status_code == 422 and set(api.emu.entities("team")) == {"free", "core"}
    assert (
        api.call("POST", path, json={"entities": ["free"]}).status_code == 422
    )  # delete_dependents is required
    assert (
        api.call("POST", path, params={"delete_dependents": "false"}, json={"entities": []}).status_code
        == 422
    )
    too_many = {"entities": [f"x{i}" for i in range(101)]}
    assert api.call("POST", path, params={"delete_dependents": "false"}, json=too_many).status_code == 422
    done = api.call(
        "POST", path, params={"delete_dependents": "true"}, json={"entities": ["free", "core", "ghost"]}
    )
    assert done.status_code == 200 and done.json() == {"ok": True, "deletedEntities": ["free", "core"]}
    assert api.emu.entities("service") == {}


def test_bulk_upsert_reports_each_index_with_207(api: Api) -> None:
    batch: list[dict[str, Any]] = [
        {"identifier": f"s{i}", "properties": {"name": f"s{i}"}, "relations": {"team": "core"}}
        for i in range(20)
    ]
    batch[7]["properties"]["tier"] = "bronze"
    answer = api.call(
        "POST",
        "/v1/blueprints/service/entities/bulk",
        params={"upsert": "true", "merge": "true", "create_missing_related_entities": "true"},
        json={"entities": batch},
    )
    assert answer.status_code == 207
    body = answer.json()
    assert [e["index"] for e in body["entities"]] == [i for i in range(20) if i != 7]
    assert all(e["created"] for e in body["entities"])
    [error] = body["errors"]
    assert (error["index"], error["identifier"], error["statusCode"], error["error"]) == (
        7,
        "s7",
        422,
        "invalid_entity",
    )
    assert len(api.emu.entities("service")) == 19


def test_bulk_accepts_1_to_20_entities(api: Api) -> None:
    path, params = "/v1/blueprints/team/entities/bulk", {"upsert": "true"}
    assert api.call("POST", path, params=params, json={"entities": []}).status_code == 422
    over = {"entities": [{"identifier": f"t{i}"} for i in range(21)]}
    assert api.call("POST", path, params=params, json=over).status_code == 422
    ok = api.call("POST", path, params=params, json={"entities": [{"identifier": "t"}]})
    assert ok.status_code == 200 and ok.json() == {
        "ok": True,
        "entities": [{"created": True, "identifier": "t", "index": 0}],
        "errors": [],
    }
    again = api.call("POST", path, params=params, json={"entities": [{"identifier": "t"}]})
    assert again.json()["entities"][0]["created"] is False


def test_put_replaces_and_patch_merges_existing_entities(api: Api) -> None:
    api.service("svc", properties={"name": "svc", "tier": "gold"})
    path = "/v1/blueprints/service/entities/svc"
    patched = api.call("PATCH", path, json={"properties": {"count": 4}})
    assert patched.status_code == 200 and patched.json()["entity"]["properties"] == {
        "name": "svc",
        "tier": "gold",
        "count": 4,
    }
    assert (
        api.call("PATCH", path, json={"blueprint": "service"}).status_code == 422
    )  # PATCH allows no extra keys
    put = api.call("PUT", path, json={"properties": {"name": "x"}, "relations": {"team": "core"}})
    assert put.status_code == 200 and put.json()["entity"]["properties"] == {"name": "x"}
    assert (
        api.call(
            "PUT", "/v1/blueprints/service/entities/none", json={"properties": {"name": "x"}}
        ).status_code
        == 404
    )
