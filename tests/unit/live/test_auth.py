"""Who may deliver: inline and Secrets Manager secrets, rotation re-reads, the URL token, no secret."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

import boto3
import pytest
from moto import mock_aws

from jira_port.errors import ConfigError
from jira_port.live.auth import WebhookAuthenticator, compute_signature, parse_webhook_secret, url_token
from jira_port.secrets import DEFAULT_MAX_AGE_SECONDS
from jira_port.settings.live import WebhookSettings
from jira_port_tools.cli import main

BODY = b'{"webhookEvent":"jira:issue_updated"}'
ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook-AbCdEf"


class FakeSecrets:
    """A Secrets Manager stand-in: ``value`` is what a forced read returns; cached reads lag behind."""

    def __init__(self, value: str) -> None:
        self.value = value
        self.cached = value
        self.calls: list[bool] = []

    def __call__(self, secret_id: str, *, force_fetch: bool = False) -> str:
        assert secret_id == ARN
        self.calls.append(force_fetch)
        if force_fetch:
            self.cached = self.value
        return self.cached


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def settings(**env: str) -> WebhookSettings:
    return WebhookSettings.from_env(env)


def test_inline_secret_accepts_valid_and_rejects_missing_or_wrong_signature() -> None:
    auth = WebhookAuthenticator(settings(WEBHOOK_SECRET="s3cret"))
    assert auth.authenticate(BODY, compute_signature("s3cret", BODY), None).method == "signature"
    missing = auth.authenticate(BODY, None, None)
    assert (missing.accepted, missing.reason) == (False, "missing signature")
    wrong = auth.authenticate(BODY, compute_signature("other", BODY), None)
    assert (wrong.accepted, wrong.reason) == (False, "invalid signature")


def test_rotation_rereads_the_secret_once_then_rate_limits() -> None:
    # Given a cached secret and a rotated value in Secrets Manager
    secrets, clock = FakeSecrets("old"), Clock()
    auth = WebhookAuthenticator(settings(WEBHOOK_SECRET_ARN=ARN), read_secret=secrets, clock=clock)
    assert auth.authenticate(BODY, compute_signature("old", BODY), None).accepted
    secrets.value = "new"
    # When a delivery signed with the new secret arrives
    verdict = auth.authenticate(BODY, compute_signature("new", BODY), None)
    # Then the secret was re-read with force_fetch and the delivery accepted
    assert verdict.accepted
    assert secrets.calls.count(True) == 1
    # And bad signatures do not trigger a forced read more than once per refresh interval
    for _ in range(5):
        assert not auth.authenticate(BODY, compute_signature("forged", BODY), None).accepted
    assert secrets.calls.count(True) == 1
    clock.now += 61
    assert not auth.authenticate(BODY, compute_signature("forged", BODY), None).accepted
    assert secrets.calls.count(True) == 2


def test_cached_secret_is_read_again_only_after_the_cache_age() -> None:
    # Given an authenticator that read its secret once
    secrets, clock = FakeSecrets("old"), Clock()
    auth = WebhookAuthenticator(settings(WEBHOOK_SECRET_ARN=ARN), read_secret=secrets, clock=clock)
    assert auth.authenticate(BODY, compute_signature("old", BODY), None).accepted
    # When deliveries keep arriving within Parameters' cache age
    clock.now += DEFAULT_MAX_AGE_SECONDS - 1
    assert auth.authenticate(BODY, compute_signature("old", BODY), None).accepted
    # Then the held value served them; once the age is over, the next delivery reads through the cache
    assert secrets.calls == [False]
    secrets.cached = "new"
    clock.now += 1
    assert auth.authenticate(BODY, compute_signature("new", BODY), None).accepted
    assert secrets.calls == [False, False]


def test_json_secret_with_previous_secret_and_token() -> None:
    value = json.dumps({"secret": "current", "previousSecret": "old", "token": "url-token"})
    auth = WebhookAuthenticator(settings(WEBHOOK_SECRET_ARN=ARN), read_secret=FakeSecrets(value))
    assert auth.authenticate(BODY, compute_signature("current", BODY), None).accepted
    assert auth.authenticate(BODY, compute_signature("old", BODY), None).accepted
    assert auth.authenticate(BODY, None, "url-token").method == "token"
    assert auth.authenticate(BODY, None, "wrong").reason == "invalid token"


@pytest.mark.parametrize(
    "value",
    ["{not json", json.dumps({"previousSecret": "x"}), json.dumps({"secret": 5})],
)
def test_bad_json_secrets_are_config_errors_without_the_value(value: str) -> None:
    auth = WebhookAuthenticator(settings(WEBHOOK_SECRET_ARN=ARN), read_secret=FakeSecrets(value))
    with pytest.raises(ConfigError) as info:
        auth.authenticate(BODY, "sha256=00", None)
    assert value not in str(info.value)


def test_default_url_token_is_derived_from_the_secret_never_the_secret_itself() -> None:
    loose = WebhookAuthenticator(settings(WEBHOOK_SECRET="s3cret"))
    derived = url_token(b"s3cret")
    # printf jira-port-url-token | openssl dgst -sha256 -hmac s3cret
    assert derived == hmac.new(b"s3cret", b"jira-port-url-token", hashlib.sha256).hexdigest()
    assert loose.authenticate(BODY, None, derived).method == "token"
    verdict = loose.authenticate(BODY, None, "s3cret")
    assert (verdict.accepted, verdict.reason) == (False, "invalid token")
    strict = WebhookAuthenticator(settings(WEBHOOK_SECRET="s3cret", WEBHOOK_REQUIRE_SIGNATURE="true"))
    verdict = strict.authenticate(BODY, None, derived)
    assert (verdict.accepted, verdict.reason) == (False, "missing signature")


def test_explicit_token_without_secret() -> None:
    auth = WebhookAuthenticator(settings(WEBHOOK_TOKEN="tok"))
    assert auth.authenticate(BODY, None, "tok").accepted
    assert auth.authenticate(BODY, None, None).reason == "missing token"
    # a signature cannot stand in for the token when no secret is configured
    assert not auth.authenticate(BODY, compute_signature("tok", BODY), None).accepted


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"WEBHOOK_REQUIRE_SIGNATURE": "true"}, "WEBHOOK_REQUIRE_SIGNATURE is true but neither"),
        ({"WEBHOOK_REQUIRE_SIGNATURE": "true", "WEBHOOK_SECRET": " "}, "WEBHOOK_REQUIRE_SIGNATURE is true"),
        (
            {"WEBHOOK_SECRET": "s", "WEBHOOK_TOKEN": "tok", "WEBHOOK_REQUIRE_SIGNATURE": "true"},
            "WEBHOOK_TOKEN is set but WEBHOOK_REQUIRE_SIGNATURE is true",
        ),
    ],
)
def test_contradictory_security_settings_are_refused(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        settings(**env)


def test_no_secret_accepts_with_one_warning_per_cold_start(log_records: list[logging.LogRecord]) -> None:
    auth = WebhookAuthenticator(settings())
    for _ in range(3):
        verdict = auth.authenticate(BODY, None, None)
        assert (verdict.accepted, verdict.method) == (True, "none")
    warnings = [r for r in log_records if "no webhook secret configured" in r.getMessage()]
    assert len(warnings) == 1


def test_secret_values_never_reach_logs(log_records: list[logging.LogRecord]) -> None:
    secrets = FakeSecrets(json.dumps({"secret": "very-secret-value", "token": "very-secret-token"}))
    auth = WebhookAuthenticator(settings(WEBHOOK_SECRET_ARN=ARN), read_secret=secrets)
    secrets.value = json.dumps({"secret": "rotated-secret-value"})
    auth.authenticate(BODY, compute_signature("rotated-secret-value", BODY), "very-secret-token")
    text = " ".join(f"{r.getMessage()} {r.__dict__}" for r in log_records)
    for value in ("very-secret-value", "very-secret-token", "rotated-secret-value"):
        assert value not in text


def test_settings_validation_names_variables() -> None:
    with pytest.raises(ConfigError, match="QUEUE_URL"):
        WebhookSettings.from_env({"QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/standard"})
    with pytest.raises(ConfigError, match="MAX_BODY_BYTES"):
        WebhookSettings.from_env({"MAX_BODY_BYTES": str(50 * 1024 * 1024)})
    live: Any = WebhookSettings.from_env({"JIRA_BASE_URL": "https://acme.atlassian.net/"})
    assert live.jira_base_url == "https://acme.atlassian.net"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  plain-key \n", ("plain-key", None, None)),
        ('{"secret": "now"}', ("now", None, None)),
        ('{"secret": "now", "previousSecret": "before", "token": "tok"}', ("now", "before", "tok")),
        ('{"secret": "now", "previousSecret": "", "token": null}', ("now", None, None)),
    ],
)
def test_parse_webhook_secret_forms(raw: str, expected: tuple[str, str | None, str | None]) -> None:
    parsed = parse_webhook_secret(raw, ARN)
    assert (parsed.secret, parsed.previous, parsed.token) == expected
    assert "now" not in repr(parsed) and "plain-key" not in repr(parsed)


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ('{"secret": "k", "previousSecret": 7}', "previousSecret must be a string"),
        ('{"secret": "k", "token": ["k"]}', "token must be a string"),
        ('{"previousSecret": "k"}', 'needs a non-empty "secret" key'),
        ('{"secret": "k"', "does not parse"),
    ],
)
def test_register_webhook_reads_the_secret_with_the_live_parser(
    raw: str,
    names: str,
    aws_env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given a webhook secret in Secrets Manager that the webhook function would refuse
    with mock_aws():
        arn = boto3.client("secretsmanager").create_secret(Name="hook", SecretString=raw)["ARN"]
        for name in (
            "WEBHOOK_SECRET",
            "JIRA_EMAIL",
            "JIRA_API_TOKEN",
            "JIRA_PAT",
            "JIRA_CREDENTIALS_SECRET_ARN",
        ):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("WEBHOOK_SECRET_ARN", arn)
        monkeypatch.setenv("JIRA_BASE_URL", "http://127.0.0.1:9")
        # When register-webhook runs, then it refuses it too, for the same reason, before calling Jira
        assert main(["register-webhook", "--url", "https://hooks.example.com/jira"]) == 2
    err = capsys.readouterr().err
    assert f"secret {arn}" in err and names in err
    assert '"k"' not in err
