"""Local Port: tokens, Bearer checks, body limit, headers, rate window and injected faults."""

from __future__ import annotations

import pytest
import requests

from jira_port_emulators.port import PortEmulator, PortFaults
from tests.unit.port.emulator_support import TEAM, Api

TOKEN = "/v1/auth/access_token"


def test_token_body_needs_exactly_both_keys(api: Api) -> None:
    for body in ({"clientId": "cid"}, {"clientId": "cid", "clientSecret": "csecret", "extra": 1}, ["cid"]):
        answer = api.call("POST", TOKEN, auth=False, json=body)
        assert answer.status_code == 422
        assert answer.json()["ok"] is False and answer.json()["error"] == "invalid_request"
    wrong = api.call("POST", TOKEN, auth=False, json={"clientId": "cid", "clientSecret": "nope"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "unauthorized"


def test_same_token_with_decreasing_expires_in_until_expiry(api: Api) -> None:
    creds = {"clientId": "cid", "clientSecret": "csecret"}
    first = api.call("POST", TOKEN, auth=False, json=creds).json()
    assert first["expiresIn"] == 60 and first["tokenType"] == "Bearer"
    api.clock.now += 45
    second = api.call("POST", TOKEN, auth=False, json=creds).json()
    assert second["accessToken"] == first["accessToken"] and second["expiresIn"] == 15
    bearer = {"Authorization": f"Bearer {first['accessToken']}"}
    assert api.call("GET", "/v1/blueprints", auth=False, headers=bearer).status_code == 200
    api.clock.now += 16
    expired = api.call("GET", "/v1/blueprints", auth=False, headers=bearer)
    assert expired.status_code == 401 and expired.json()["error"] == "unauthorized"
    third = api.call("POST", TOKEN, auth=False, json=creds).json()
    assert third["accessToken"] != first["accessToken"] and third["expiresIn"] == 60


def test_routes_need_a_bearer_token(api: Api) -> None:
    assert api.call("GET", "/v1/blueprints/service", auth=False).status_code == 401
    bogus = api.call("GET", "/v1/blueprints/service", auth=False, headers={"Authorization": "Bearer nope"})
    assert bogus.status_code == 401
    assert api.call("GET", "/v1/blueprints/service").status_code == 200


def test_unknown_route_is_404(api: Api) -> None:
    answer = api.call("GET", "/v1/nothing-here")
    assert answer.status_code == 404 and answer.json()["error"] == "not_found"


def test_every_answer_carries_trace_id_and_rate_limit_headers(api: Api) -> None:
    for answer in (api.call("GET", "/v1/blueprints"), api.call("GET", "/v1/blueprints/x")):
        assert answer.headers["X-Trace-Id"]
        assert answer.headers["x-ratelimit-period"] == "300"
        assert int(answer.headers["x-ratelimit-limit"]) == 35000
        assert int(answer.headers["x-ratelimit-remaining"]) < 35000
        assert int(answer.headers["x-ratelimit-reset"]) > 1_800_000_000  # epoch seconds


def test_body_over_1_mib_is_413(api: Api) -> None:
    big = {"identifier": "s", "properties": {"name": "x" * (1024 * 1024)}}
    answer = api.upsert("service", big)
    assert answer.status_code == 413 and answer.json()["ok"] is False
    assert api.emu.entities("service") == {}


def test_body_must_be_json(api: Api) -> None:
    answer = api.call(
        "POST",
        "/v1/blueprints/service/entities/search",
        data=b"{nope",
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    plain = api.call(
        "POST", "/v1/blueprints/service/entities/search", data=b"{}", headers={"Content-Type": "text/plain"}
    )
    assert plain.status_code == 415


def test_rate_window_answers_429_when_spent() -> None:
    emu = PortEmulator("cid", "csecret", rate_limit=3, rate_period=300)
    with emu.running() as port, requests.Session() as session:
        statuses = [session.get(f"{port.url}/v1/blueprints").status_code for _ in range(4)]
        last = session.get(f"{port.url}/v1/blueprints")
    assert statuses == [401, 401, 401, 429]
    assert last.headers["x-ratelimit-remaining"] == "0" and int(last.headers["Retry-After"]) >= 1


def test_faults_are_seeded_and_change_nothing() -> None:
    faults = PortFaults(error_rate=0.3, throttle_rate=0.3, retry_after=0.25, seed=11)

    def run() -> list[int]:
        emu = PortEmulator("cid", "csecret", faults=faults, blueprints=[TEAM])
        statuses = []
        with emu.running() as port, requests.Session() as session:
            emu.faults = PortFaults(seed=0)
            token = session.post(
                f"{port.url}{TOKEN}", json={"clientId": "cid", "clientSecret": "csecret"}
            ).json()
            emu.faults = faults
            headers = {"Authorization": f"Bearer {token['accessToken']}"}
            for i in range(30):
                answer = session.post(
                    f"{port.url}/v1/blueprints/team/entities",
                    params={"upsert": "false"},
                    json={"identifier": f"t{i}"},
                    headers=headers,
                )
                statuses.append(answer.status_code)
                if answer.status_code == 429:
                    assert answer.headers["Retry-After"] == "0.250"
            stored = emu.entities("team")
        created = {f"t{i}" for i, s in enumerate(statuses) if s == 201}
        assert set(stored) == created  # a faulted request wrote nothing
        return statuses

    first = run()
    assert set(first) == {201, 429, 500, 503}
    assert run() == first


def test_fault_probabilities_are_validated() -> None:
    with pytest.raises(ValueError, match="probabilities"):
        PortFaults(error_rate=1.5)
    with pytest.raises(ValueError, match="exceed 1"):
        PortFaults(error_rate=0.6, throttle_rate=0.6)


def test_requests_are_recorded_with_the_secret_redacted(api: Api) -> None:
    api.call("GET", "/v1/blueprints/service")
    records = api.emu.requests
    token_call = next(r for r in records if r.path == TOKEN)
    assert token_call.body == {"clientId": "cid", "clientSecret": "<redacted>"}
    assert token_call.status == 200
    last = records[-1]
    assert (last.method, last.path, last.status, last.authorized) == (
        "GET",
        "/v1/blueprints/service",
        200,
        True,
    )
    assert api.emu.request_count(method="POST", path=TOKEN) == 1
    assert api.emu.request_count(path="/v1/blueprints/*") == 1
