"""No client secret, token or Authorization header reaches a log line, an exception or a repr."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator

import pytest

from jira_port.observability import logger
from jira_port.port import PortAPIError, PortClient
from jira_port.settings.common import SecretStr
from jira_port.settings.port import PortSettings
from jira_port.transport import RetryPolicy
from jira_port_emulators.port import PortEmulator, PortFaults
from jira_port_tools.blueprints import bundled_blueprints, dependency_order
from jira_port_tools.port_admin import delete_entity, get_blueprint, get_entity, upsert_entity

SECRET = "S3CRET-do-not-log-7f9a2c"
POLICY = RetryPolicy(max_attempts=6, base_delay=0.001, max_delay=0.01, max_server_delay=0.05)


@pytest.fixture
def debug_logging() -> Iterator[None]:
    previous = logger.log_level
    logger.setLevel("DEBUG")
    yield
    logger.setLevel(previous)


def test_secrets_and_tokens_never_leak(
    debug_logging: None, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    emu = PortEmulator(
        "client-id",
        SECRET,
        token_lifetime=3600,
        faults=PortFaults(error_rate=0.2, throttle_rate=0.2, retry_after=0.01, seed=3),
        blueprints=dependency_order(bundled_blueprints()),
    )
    texts: list[str] = []
    with emu.running() as port:
        settings = PortSettings(
            api_url=port.url, client_id="client-id", client_secret=SecretStr(SECRET), max_concurrency=4
        )
        with PortClient(settings, policy=POLICY) as client:
            texts += [
                repr(client),
                repr(settings),
                str(dataclasses.asdict(settings)),
                repr(client.api),
            ]
            good = [{"identifier": f"A-{i}", "properties": {"summary": "s"}} for i in range(60)]
            bad = [
                {"identifier": "BAD 1", "properties": {}},
                {"identifier": "B-2", "properties": {"nope": 1}},
            ]
            result = client.upsert_entities("jiraIssue", good + bad)
            texts += [str(f) for f in result.failures] + [str(f.to_json()) for f in result.failures]
            texts.append(repr(vars(client.api)))  # the session's state, its cached token included
            emu.expire_tokens()  # forces 401 → refresh, logged
            for call in (
                lambda: upsert_entity(client, "jiraIssue", {"identifier": "x", "properties": {"nope": 1}}),
                lambda: delete_entity(client, "nope", "x"),
                lambda: get_entity(client, "jiraIssue", "missing") or get_blueprint(client, "missing"),
            ):
                try:
                    call()
                except PortAPIError as exc:
                    texts += [str(exc), repr(exc), str(exc.args)]
        wrong = PortSettings(
            api_url=port.url, client_id="client-id", client_secret=SecretStr(SECRET + "-old")
        )
        with PortClient(wrong, policy=POLICY) as rejected:
            with pytest.raises(PortAPIError) as caught:
                get_blueprint(rejected, "jiraIssue")
            texts += [str(caught.value), repr(caught.value)]
        tokens = emu.tokens.issued()
    assert len(tokens) >= 2 and len(result.failures) == 2
    captured = capfd.readouterr()
    everything = "\n".join([*texts, captured.out, captured.err, caplog.text])
    assert "Port request will be retried" in everything  # the run really logged
    assert "refreshing" in everything
    for needle in [SECRET, *tokens, "Bearer ", "Authorization"]:
        assert needle not in everything, f"{needle[:12]}... leaked"
