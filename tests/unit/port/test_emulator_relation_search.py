"""Local Port: relations given as a search query (def-6 ``searchRelationsQuerySchema``), one test per
row of docs/port-behaviour.md "Relations by search query"."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.port.emulator_support import SERVICE, Api


def _query(*rules: dict[str, Any], combinator: str = "and") -> dict[str, Any]:
    return {"combinator": combinator, "rules": list(rules)}


def _rule(prop: str, operator: str, value: Any) -> dict[str, Any]:
    return {"property": prop, "operator": operator, "value": value}


@pytest.fixture
def services(api: Api) -> Api:
    for ident, tier, count, tags in (
        ("a", "gold", 1, ["x", "y"]),
        ("b", "silver", 2, ["y"]),
        ("c", "gold", 3, []),
    ):
        entity = {
            "name": ident,
            "tier": tier,
            "count": count,
            "tags": tags,
            "url": f"https://s1.example/{ident}",
        }
        assert api.service(ident, properties=entity).status_code == 201
    return api


def test_a_single_relation_stores_the_one_entity_the_query_finds(services: Api) -> None:
    query = _query(_rule("tier", "=", "silver"), _rule("url", "contains", "https://s1.example/"))
    answer = services.service("d", relations={"team": "core", "buddy": query})
    assert answer.status_code == 201, answer.text
    assert answer.json()["entity"]["relations"]["buddy"] == "b"
    assert services.emu.entities("service")["d"]["relations"]["buddy"] == "b"


def test_a_many_relation_stores_every_match_and_an_empty_array_for_none(services: Api) -> None:
    gold = _query(_rule("tier", "in", ["gold"]), _rule("$identifier", "=", "zzz"), combinator="or")
    assert services.service("d", relations={"team": "core", "deps": gold}).json()["entity"]["relations"][
        "deps"
    ] == [
        "a",
        "c",
    ]
    nothing = _query(_rule("tags", "containsAny", ["nope"]))
    assert (
        services.service("e", relations={"team": "core", "deps": nothing}).json()["entity"]["relations"][
            "deps"
        ]
        == []
    )


def test_numbers_nested_queries_and_the_blueprint_meta_property(services: Api) -> None:
    query = _query(
        _rule("$blueprint", "=", "service"),
        _query(_rule("count", "=", 3), _rule("tags", "contains", ["x", "y"]), combinator="or"),
    )
    answer = services.service("d", relations={"team": "core", "deps": query})
    assert answer.json()["entity"]["relations"]["deps"] == ["a", "c"]


def test_a_single_relation_matching_nothing_is_404_and_nothing_is_created(services: Api) -> None:
    query = _query(_rule("tier", "=", "bronze"))
    answer = services.upsert(
        "service",
        {"identifier": "d", "properties": {"name": "d"}, "relations": {"team": "core", "buddy": query}},
        create_missing_related_entities="true",
    )
    assert answer.status_code == 404 and answer.json()["error"] == "not_found", answer.text
    assert set(services.emu.entities("service")) == {"a", "b", "c"}


def test_a_single_relation_matching_several_is_422(services: Api) -> None:
    answer = services.service("d", relations={"team": "core", "buddy": _query(_rule("tier", "=", "gold"))})
    assert answer.status_code == 422 and answer.json()["error"] == "invalid_entity"
    assert "matches 2 entities" in answer.json()["message"]


def test_a_many_relation_takes_at_most_500_matches(api: Api) -> None:
    entities = [{"identifier": f"t{n}"} for n in range(501)]
    for start in range(0, len(entities), 20):
        answer = api.call(
            "POST", "/v1/blueprints/team/entities/bulk", params={"upsert": "true"},
            json={"entities": entities[start : start + 20]},
        )  # fmt: skip
        assert answer.status_code in (200, 201, 207), answer.text
    assert api.service("s").status_code == 201
    many = {
        **SERVICE,
        "relations": {**SERVICE["relations"], "teams": {"target": "team", "required": False, "many": True}},
    }
    assert api.call("PUT", "/v1/blueprints/service", json=many).status_code == 200
    everything = _query(_rule("$identifier", "contains", "t"))
    answer = api.service("d", relations={"team": "core", "teams": everything})
    assert answer.status_code == 422 and "at most 500" in answer.json()["message"]


@pytest.mark.parametrize(
    "query",
    [
        {"combinator": "xor", "rules": []},
        {"rules": []},
        {"combinator": "and", "rules": [], "extra": 1},
        _query(_rule("tier", ">", "gold")),
        _query(_rule("tier", "!=", "gold")),
        _query(_rule("tier", "in", "gold")),
        _query(_rule("tier", "=", ["gold"])),
        _query({"property": "tier", "operator": "=", "value": "gold", "blueprint": "service"}),
        _query({"property": "tier", "operator": "="}),
    ],
)
def test_a_query_outside_the_schema_is_refused_with_the_request(services: Api, query: dict[str, Any]) -> None:
    answer = services.service("d", relations={"team": "core", "buddy": query})
    assert answer.status_code == 422 and answer.json()["error"] == "invalid_request", answer.text
