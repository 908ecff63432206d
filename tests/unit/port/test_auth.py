"""Access tokens: cached until shortly before ``expiresIn``, refreshed on 401, secrets re-read on rotation."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from jira_port.errors import ConfigError
from jira_port.port import PortAuthError, PortClient
from jira_port.port.client import PortSession
from jira_port.port.credentials import SecretCredentials
from jira_port.settings.port import PortSettings
from jira_port.transport import HttpResponse
from jira_port_tools.port_admin import get_blueprint
from tests.support.port_emulator import CLIENT_ID, CLIENT_SECRET, FAST_POLICY, new_emulator
from tests.unit.port.fakes import Call, ScriptedSession, response, scripted_client


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Issuer:
    """Port's token route: one active token per credentials, same token with a smaller expiresIn."""

    def __init__(self, clock: Clock, lifetime: float = 10800, delay: float = 0.0) -> None:
        self.clock, self.lifetime, self.delay = clock, lifetime, delay
        self.calls = 0
        self.token: tuple[str, float] | None = None

    def __call__(self, call: Call) -> HttpResponse:
        assert call.body == {"clientId": "cid", "clientSecret": "csecret"}
        self.calls += 1
        time.sleep(self.delay)  # an answer in flight: other callers arrive meanwhile
        if self.token is None or self.token[1] <= self.clock.now:
            self.token = (f"token-{self.calls}", self.clock.now + self.lifetime)
        expires_in = self.token[1] - self.clock.now
        return response(200, {"ok": True, "accessToken": self.token[0], "expiresIn": expires_in})


def session_of(issuer: Issuer) -> PortSession:
    """The token cache under test: a client's session, on the issuer's clock."""
    return scripted_client(ScriptedSession(token_issuer=issuer), clock=issuer.clock).api


def test_token_is_cached_until_shortly_before_expiry() -> None:
    clock = Clock()
    issuer = Issuer(clock)
    tokens = session_of(issuer)
    assert tokens.token() == "token-1"
    clock.now += 10800 - 61  # more than 60 s left: still cached
    assert tokens.token() == "token-1"
    assert issuer.calls == 1
    clock.now += 2  # inside the refresh margin: asks again, gets the same token with less time left
    assert tokens.token() == "token-1"
    assert issuer.calls == 2


def test_expiry_follows_expires_in_of_each_answer() -> None:
    clock = Clock()
    issuer = Issuer(clock, lifetime=100)
    tokens = session_of(issuer)
    assert tokens.token() == "token-1"
    clock.now += 50
    issuer.token = ("shared", clock.now + 20)  # another process obtained it; only 20 s remain
    assert tokens.token("token-1") == "shared"
    clock.now += 17  # within 20 s minus a 10 % margin: cached
    assert tokens.token() == "shared" and issuer.calls == 2
    clock.now += 2  # inside the margin: asks again and gets the same token with 1 s left
    assert tokens.token() == "shared" and issuer.calls == 3
    clock.now += 1.5  # expired in Port: a new token
    assert tokens.token() == "token-4"


def test_refresh_after_401_replaces_only_the_rejected_token() -> None:
    clock = Clock()
    issuer = Issuer(clock)
    tokens = session_of(issuer)
    first = tokens.token()
    issuer.token = None  # Port forgot it (e.g. revoked)
    second = tokens.token(first)
    assert second != first
    assert tokens.token(first) == second  # another thread's late 401 with the old token: no new call
    assert issuer.calls == 2 and tokens.stats.token_refreshes == 1 and tokens.stats.token_requests == 2


def test_concurrent_callers_share_one_token_request() -> None:
    clock = Clock()
    issuer = Issuer(clock, delay=0.05)
    tokens = session_of(issuer)
    got: list[str] = []
    start = threading.Barrier(16)

    def ask() -> None:
        start.wait()
        got.append(tokens.token())

    threads = [threading.Thread(target=ask) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(got) == {"token-1"} and issuer.calls == 1


def test_rejected_credentials_raise_without_the_secret() -> None:
    session = ScriptedSession(
        token_answers=[response(401, {"ok": False, "error": "unauthorized", "message": "bad"})]
    )
    client = scripted_client(session)
    with pytest.raises(PortAuthError) as caught:
        get_blueprint(client, "jiraIssue")
    assert caught.value.status == 401 and caught.value.error == "unauthorized"
    assert "csecret" not in str(caught.value)


def test_a_token_answer_without_a_token_is_an_auth_error() -> None:
    session = ScriptedSession(token_answers=[response(200, {"ok": True, "expiresIn": 10800})])
    with pytest.raises(PortAuthError) as caught:
        get_blueprint(scripted_client(session), "jiraIssue")
    assert caught.value.error == "invalid_token_response" and session.api_calls() == []


def test_401_on_an_api_call_refreshes_and_retries_once_per_stage() -> None:
    unauthorized = response(401, {"ok": False, "error": "unauthorized", "message": "expired"})
    session = ScriptedSession(
        script=[unauthorized, response(200, {"ok": True, "blueprint": {"identifier": "b"}})]
    )
    session.token_answers = [
        response(200, {"ok": True, "accessToken": "old", "expiresIn": 10800, "tokenType": "Bearer"}),
        response(200, {"ok": True, "accessToken": "new", "expiresIn": 10800, "tokenType": "Bearer"}),
    ]
    client = scripted_client(session)
    assert get_blueprint(client, "b") == {"identifier": "b"}
    auth = [c.headers["Authorization"] for c in session.api_calls()]
    assert auth == ["Bearer old", "Bearer new"]
    assert client.stats.token_refreshes == 1


def test_persistent_401_is_surfaced_after_bounded_refreshes() -> None:
    unauthorized = response(401, {"ok": False, "error": "unauthorized", "message": "no access"})
    session = ScriptedSession(script=[unauthorized] * 5)
    client = scripted_client(session)
    with pytest.raises(PortAuthError):
        get_blueprint(client, "b")
    assert len(session.api_calls()) == 3


# ---- Secrets Manager ---------------------------------------------------------------------------


@pytest.fixture
def secrets_manager(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    for name, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    parameters.clear_caches()  # type: ignore[no-untyped-call]
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="us-east-1")
    parameters.clear_caches()  # type: ignore[no-untyped-call]


def test_secret_credentials_are_read_and_validated(secrets_manager: object) -> None:
    client = secrets_manager
    arn = client.create_secret(Name="bad", SecretString=json.dumps({"clientId": "x"}))["ARN"]  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="clientId and clientSecret"):
        SecretCredentials(arn).get()


def test_rotated_secret_is_reread_without_redeploy(secrets_manager: object) -> None:
    sm = secrets_manager
    arn = sm.create_secret(  # type: ignore[attr-defined]
        Name="port-credentials",
        SecretString=json.dumps({"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET}),
    )["ARN"]
    emulator = new_emulator()
    with emulator.running():
        assert emulator.url is not None
        settings = PortSettings(api_url=emulator.url, credentials_secret_arn=arn)
        with PortClient(settings, policy=FAST_POLICY) as client:
            assert get_blueprint(client, "jiraIssue") is not None
            # Given the credentials are rotated in Port and in the secret, and old tokens die
            emulator.set_credentials("rotated-id", "rotated-secret")
            sm.put_secret_value(  # type: ignore[attr-defined]
                SecretId=arn,
                SecretString=json.dumps({"clientId": "rotated-id", "clientSecret": "rotated-secret"}),
            )
            emulator.expire_tokens()
            # When the client calls Port again (its cached secret copy is stale)
            found = get_blueprint(client, "jiraProject")
            # Then it re-read the secret once and carried on
            assert found is not None
            assert client.stats.secret_reloads == 1
            assert client.stats.token_refreshes >= 1
