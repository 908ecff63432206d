"""PortClient against a scripted session: retries, server hints, error surfacing, bulk fallbacks."""

from __future__ import annotations

import time
from typing import Any

import pytest
from urllib3.exceptions import ProtocolError

from jira_port.port import PortAPIError
from jira_port.port.writes import MAX_BODY_BYTES
from jira_port.transport import HttpResponse, RetryPolicy
from jira_port_tools.port_admin import delete_entity, get_blueprint, upsert_entity
from tests.unit.port.fakes import Call, ScriptedSession, response, scripted_client


def ok_bulk(call: Call) -> HttpResponse:
    entities = call.body["entities"]
    done = [{"created": True, "identifier": e["identifier"], "index": i} for i, e in enumerate(entities)]
    return response(200, {"ok": True, "entities": done, "errors": []})


def entities(n: int) -> list[dict[str, Any]]:
    return [{"identifier": f"PROJ-{i}", "title": f"Issue {i}", "properties": {}} for i in range(n)]


# ---- retries and server hints ------------------------------------------------------------------


def test_retry_after_is_honoured() -> None:
    slept: list[float] = []
    session = ScriptedSession(
        script=[response(429, {"ok": False, "error": "rate_limited"}, {"Retry-After": "3"})]
    )
    client = scripted_client(session, slept=slept)
    get_blueprint(client, "b")
    assert len(session.api_calls()) == 2
    assert 3 <= slept[0] <= 3.02
    assert client.stats.retries_throttled == 1


@pytest.mark.parametrize("form", ["epoch", "seconds"])
def test_ratelimit_reset_is_honoured_in_both_forms(form: str) -> None:
    reset = str(int(time.time()) + 7) if form == "epoch" else "7"
    slept: list[float] = []
    throttled = response(429, {"ok": False, "error": "rate_limited"}, {"x-ratelimit-reset": reset})
    session = ScriptedSession(script=[throttled])
    get_blueprint(scripted_client(session, slept=slept), "b")
    assert 5.5 <= slept[0] <= 8.1


def test_ratelimit_reset_on_a_server_error_is_not_a_wait_hint() -> None:
    # Port sends x-ratelimit-reset on every answer; a 503 must not wait for the 5-minute window.
    slept: list[float] = []
    far = str(int(time.time()) + 290)
    session = ScriptedSession(script=[response(503, None, {"x-ratelimit-reset": far})])
    client = scripted_client(session, slept=slept, policy=RetryPolicy(base_delay=0.01, max_delay=0.05))
    get_blueprint(client, "b")
    assert slept and slept[0] <= 0.05
    assert client.stats.retries_server_error == 1


def test_server_errors_exhaust_bounded_retries_and_surface_as_transient() -> None:
    session = ScriptedSession(script=[response(503, {"ok": False, "error": "unavailable"})] * 10)
    client = scripted_client(session, policy=RetryPolicy(max_attempts=3, base_delay=0.0))
    with pytest.raises(PortAPIError) as caught:
        upsert_entity(client, "jiraIssue", {"identifier": "A-1"})
    assert caught.value.status == 503 and caught.value.transient
    assert len(session.api_calls()) == 3


def test_connection_errors_become_a_transient_no_response_error() -> None:
    def refuse(call: Call) -> HttpResponse:
        raise ProtocolError("refused")

    session = ScriptedSession(script=[refuse] * 3)
    client = scripted_client(session, policy=RetryPolicy(max_attempts=3, base_delay=0.0))
    with pytest.raises(PortAPIError) as caught:
        delete_entity(client, "jiraIssue", "A-1")
    assert caught.value.status == 0 and caught.value.transient and caught.value.identifier == "A-1"
    assert client.stats.retries_connection == 2


# ---- errors surfaced ---------------------------------------------------------------------------


def test_non_retryable_4xx_is_surfaced_with_code_message_and_identifier() -> None:
    refusal = response(
        422, {"ok": False, "error": "invalid_entity", "message": "property 'x' is not defined"}
    )
    session = ScriptedSession(script=[refusal])
    client = scripted_client(session)
    with pytest.raises(PortAPIError) as caught:
        upsert_entity(client, "jiraIssue", {"identifier": "PROJ-9"})
    error = caught.value
    assert (error.status, error.error, error.identifier, error.blueprint) == (
        422,
        "invalid_entity",
        "PROJ-9",
        "jiraIssue",
    )
    assert not error.transient
    assert "property 'x' is not defined" in str(error) and "PROJ-9" in str(error)
    assert len(session.api_calls()) == 1


def test_a_redirect_is_not_followed_and_names_where_it_leads() -> None:
    moved = response(301, None, {"Location": "https://api.port.io/v1/blueprints/jiraIssue/entities"})
    session = ScriptedSession(script=[moved])
    with pytest.raises(PortAPIError, match=r"redirected to https://api\.port\.io/.*PORT_API_URL") as caught:
        upsert_entity(scripted_client(session), "jiraIssue", {"identifier": "PROJ-9"})
    assert caught.value.status == 301 and not caught.value.transient and len(session.api_calls()) == 1


def test_upsert_sends_the_documented_query_parameters() -> None:
    session = ScriptedSession(script=[response(201, {"ok": True, "entity": {"identifier": "A"}})])
    client = scripted_client(session, create_missing_related_entities=False)
    upsert_entity(client, "jira Issue", {"identifier": "A"}, merge=False)
    call = session.api_calls()[0]
    assert call.url.endswith("/v1/blueprints/jira%20Issue/entities")
    assert call.params == {"upsert": "true", "merge": "false", "create_missing_related_entities": "false"}


def test_identifiers_are_url_encoded_in_paths() -> None:
    session = ScriptedSession(
        script=[response(200, {"ok": True}), response(404, {"ok": False, "error": "not_found"})]
    )
    client = scripted_client(session)
    assert delete_entity(client, "jiraUser", "a/b c+d@x.io") is True
    assert delete_entity(client, "jiraUser", "gone") is False  # 404: already gone
    first = session.api_calls()[0]
    assert first.url.endswith("/entities/a%2Fb%20c%2Bd%40x.io")
    assert first.params == {"delete_dependents": "false"}


# ---- bulk upsert -------------------------------------------------------------------------------


def test_bulk_reports_per_entity_errors_and_resends_transient_ones() -> None:
    def partial(call: Call) -> HttpResponse:
        sent = call.body["entities"]
        errors = [
            {
                "identifier": sent[3]["identifier"],
                "index": 3,
                "statusCode": 422,
                "error": "invalid_entity",
                "message": "no",
            },
            {
                "identifier": sent[5]["identifier"],
                "index": 5,
                "statusCode": 503,
                "error": "busy",
                "message": "later",
            },
        ]
        done = [
            {"created": True, "identifier": e["identifier"], "index": i}
            for i, e in enumerate(sent)
            if i not in (3, 5)
        ]
        return response(207, {"ok": False, "entities": done, "errors": errors})

    session = ScriptedSession(script=[partial, ok_bulk])
    result = scripted_client(session).upsert_entities("jiraIssue", entities(8))
    assert [f.identifier for f in result.failures] == ["PROJ-3"]
    assert result.failures[0].error == "invalid_entity" and not result.failures[0].transient
    assert sorted(result.succeeded) == sorted(f"PROJ-{i}" for i in range(8) if i != 3)
    assert session.api_calls()[1].body == {"entities": [entities(8)[5]]}
    assert result.retried == 1
    query = "upsert=true&merge=true&create_missing_related_entities=true"
    assert all(c.url.endswith(f"/v1/blueprints/jiraIssue/entities/bulk?{query}") for c in session.api_calls())


def test_transient_entity_errors_are_marked_after_the_last_round() -> None:
    def always_busy(call: Call) -> HttpResponse:
        errors = [
            {
                "identifier": e["identifier"],
                "index": i,
                "statusCode": 500,
                "error": "internal",
                "message": "x",
            }
            for i, e in enumerate(call.body["entities"])
        ]
        return response(207, {"ok": False, "entities": [], "errors": errors})

    session = ScriptedSession(script=[always_busy] * 3)
    result = scripted_client(session).upsert_entities("jiraIssue", entities(2))
    assert [(f.identifier, f.transient) for f in result.failures] == [("PROJ-0", True), ("PROJ-1", True)]
    assert len(session.api_calls()) == 3


def test_413_splits_the_batch_in_halves() -> None:
    too_large = response(413, {"ok": False, "error": "request_too_large"})
    session = ScriptedSession(script=[too_large, ok_bulk, ok_bulk])
    client = scripted_client(session)
    result = client.upsert_entities("jiraIssue", entities(10))
    assert result.ok and len(result.succeeded) == 10
    sizes = [len(c.body["entities"]) for c in session.api_calls()]
    assert sizes == [10, 5, 5]
    assert client.stats.batch_splits == 1


def test_whole_batch_422_falls_back_to_single_upserts_to_name_the_culprit() -> None:
    refusal = response(422, {"ok": False, "error": "invalid_request", "message": "body does not match"})
    single_ok = response(201, {"ok": True, "entity": {}})
    single_bad = response(422, {"ok": False, "error": "invalid_request", "message": "identifier is invalid"})
    session = ScriptedSession(script=[refusal, single_ok, single_bad, single_ok])
    result = scripted_client(session).upsert_entities("jiraIssue", entities(3))
    assert result.succeeded == ["PROJ-0", "PROJ-2"]
    assert [(f.identifier, f.status, f.error) for f in result.failures] == [
        ("PROJ-1", 422, "invalid_request")
    ]


def test_whole_batch_failure_fails_every_entity_of_the_batch() -> None:
    missing = response(404, {"ok": False, "error": "not_found", "message": "blueprint not found"})
    session = ScriptedSession(script=[missing])
    result = scripted_client(session).upsert_entities("nope", entities(3))
    assert [(f.identifier, f.error, f.transient) for f in result.failures] == [
        (f"PROJ-{i}", "not_found", False) for i in range(3)
    ]


def test_an_entity_over_1_mib_is_a_failure_and_never_sent() -> None:
    session = ScriptedSession(script=[ok_bulk])
    huge = {"identifier": "BIG-1", "properties": {"description": "x" * MAX_BODY_BYTES}}
    result = scripted_client(session).upsert_entities("jiraIssue", [huge, *entities(2)])
    assert [(f.identifier, f.status) for f in result.failures] == [("BIG-1", 413)]
    assert result.succeeded == ["PROJ-0", "PROJ-1"]
    assert all(e["identifier"] != "BIG-1" for c in session.api_calls() for e in c.body["entities"])


# ---- deletes -----------------------------------------------------------------------------------


def test_refused_bulk_delete_falls_back_to_single_deletes() -> None:
    blocked = response(422, {"ok": False, "error": "has_dependents", "message": "B has dependents"})
    session = ScriptedSession(
        script=[
            blocked,
            response(200, {"ok": True}),
            blocked,
            response(404, {"ok": False, "error": "not_found"}),
        ]
    )
    result = scripted_client(session).delete_entities("jiraIssue", ["A", "B", "C", "A"])
    assert result.succeeded == ["A"] and result.absent == ["C"]
    assert [(f.identifier, f.error, f.operation) for f in result.failures] == [
        ("B", "has_dependents", "delete")
    ]
    bulk = session.api_calls()[0]
    assert bulk.url.endswith("/v1/blueprints/jiraIssue/bulk/entities/delete")
    assert bulk.body == {"entities": ["A", "B", "C"]} and bulk.params == {"delete_dependents": "false"}


def test_bulk_delete_chunks_by_100_and_reports_already_gone() -> None:
    def delete_all_but_first(call: Call) -> HttpResponse:
        return response(200, {"ok": True, "deletedEntities": call.body["entities"][1:]})

    session = ScriptedSession(script=[delete_all_but_first] * 3)
    ids = [f"I-{i}" for i in range(250)]
    result = scripted_client(session, max_concurrency=1).delete_entities(
        "jiraIssue", ids, delete_dependents=True
    )
    assert [len(c.body["entities"]) for c in session.api_calls()] == [100, 100, 50]
    assert result.absent == ["I-0", "I-100", "I-200"] and len(result.succeeded) == 247
    assert session.api_calls()[0].params == {"delete_dependents": "true"}


def test_deleting_no_identifiers_sends_nothing() -> None:
    session = ScriptedSession()
    result = scripted_client(session).delete_entities("jiraIssue", [])
    assert session.calls == [] and result.succeeded == [] and result.failures == []


def test_transient_bulk_delete_failure_is_not_retried_one_by_one() -> None:
    session = ScriptedSession(script=[response(503, None)] * 3)
    client = scripted_client(session, policy=RetryPolicy(max_attempts=3, base_delay=0.0))
    result = client.delete_entities("jiraIssue", ["A", "B"])
    assert [(f.identifier, f.transient) for f in result.failures] == [("A", True), ("B", True)]
    assert len(session.api_calls()) == 3


# ---- reads -------------------------------------------------------------------------------------


def test_identifier_listing_follows_the_cursor() -> None:
    pages = [
        response(200, {"ok": True, "entities": [{"identifier": "A"}, {"identifier": "B"}], "next": "c1"}),
        response(200, {"ok": True, "entities": [{"identifier": "C"}], "next": "c2"}),
        response(200, {"ok": True, "entities": []}),
    ]
    session = ScriptedSession(script=list(pages))
    found = list(scripted_client(session).iter_entity_identifiers("jiraIssue", page_size=2))
    assert found == ["A", "B", "C"]
    bodies = [c.body for c in session.api_calls()]
    assert bodies == [
        {"include": ["$identifier"], "limit": 2},
        {"include": ["$identifier"], "limit": 2, "from": "c1"},
        {"include": ["$identifier"], "limit": 2, "from": "c2"},
    ]


def test_get_blueprint_returns_none_when_missing() -> None:
    session = ScriptedSession(script=[response(404, {"ok": False, "error": "not_found", "message": "no"})])
    assert get_blueprint(scripted_client(session), "nope") is None
