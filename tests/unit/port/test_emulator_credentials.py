"""Local Port: several machine credentials in one organisation, ``createdBy``/``updatedBy`` per client."""

from __future__ import annotations

from typing import Any

import requests

from tests.unit.port.emulator_support import Api


def _token(api: Api, client_id: str, secret: str) -> str:
    answer = api.session.post(
        f"{api.url}/v1/auth/access_token", json={"clientId": client_id, "clientSecret": secret}
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["accessToken"])


def _upsert_as(api: Api, token: str, ident: str, **params: str) -> requests.Response:
    return api.session.post(
        f"{api.url}/v1/blueprints/team/entities",
        params={"upsert": "true", **params},
        json={"identifier": ident, "title": ident},
        headers={"Authorization": f"Bearer {token}"},
    )


def _search(api: Api, rules: list[dict[str, Any]]) -> list[str]:
    answer = api.call(
        "POST",
        "/v1/blueprints/team/entities/search",
        json={"query": {"combinator": "and", "rules": rules}, "include": ["$identifier"]},
    )
    assert answer.status_code == 200, answer.text
    return sorted(e["identifier"] for e in answer.json()["entities"])


def test_two_credentials_each_get_a_token_and_stamp_their_own_client_id(api: Api) -> None:
    api.emu.add_credentials("other-id", "other-secret")
    mine, theirs = _token(api, "cid", "csecret"), _token(api, "other-id", "other-secret")
    assert mine != theirs
    assert _upsert_as(api, mine, "a").json()["entity"]["createdBy"] == "cid"
    created = _upsert_as(api, theirs, "b").json()["entity"]
    assert created["createdBy"] == "other-id" and created["updatedBy"] == "other-id"


def test_created_by_never_changes_updated_by_follows_the_last_writer(api: Api) -> None:
    api.emu.add_credentials("other-id", "other-secret")
    mine, theirs = _token(api, "cid", "csecret"), _token(api, "other-id", "other-secret")
    _upsert_as(api, mine, "a")
    updated = _upsert_as(api, theirs, "a", merge="true").json()["entity"]
    assert updated["createdBy"] == "cid" and updated["updatedBy"] == "other-id"
    stored = api.emu.entities("team")["a"]
    assert stored["createdBy"] == "cid" and stored["updatedBy"] == "other-id"


def test_search_rules_on_created_by_and_updated_by(api: Api) -> None:
    api.emu.add_credentials("other-id", "other-secret")
    mine, theirs = _token(api, "cid", "csecret"), _token(api, "other-id", "other-secret")
    _upsert_as(api, mine, "a")
    _upsert_as(api, theirs, "b")
    _upsert_as(api, theirs, "a", merge="true")
    assert _search(api, [{"property": "$createdBy", "operator": "=", "value": "cid"}]) == ["a"]
    assert _search(api, [{"property": "$updatedBy", "operator": "=", "value": "other-id"}]) == ["a", "b"]


def test_rotation_keeps_the_old_records_and_stamps_the_new_client(api: Api) -> None:
    _upsert_as(api, _token(api, "cid", "csecret"), "a")
    api.emu.set_credentials("cid-2", "csecret-2")
    refused = api.session.post(
        f"{api.url}/v1/auth/access_token", json={"clientId": "cid", "clientSecret": "csecret"}
    )
    assert refused.status_code == 401
    updated = _upsert_as(api, _token(api, "cid-2", "csecret-2"), "a", merge="true").json()["entity"]
    assert updated["createdBy"] == "cid" and updated["updatedBy"] == "cid-2"


def test_direct_set_up_writes_name_their_actor(api: Api) -> None:
    api.emu.add_entity("team", {"identifier": "x"}, actor="script-client")
    stored = api.emu.entities("team")["x"]
    assert stored["createdBy"] == stored["updatedBy"] == "script-client"
