"""The settings reader: how variables' text becomes typed values, and what its errors say (never a value)."""

from __future__ import annotations

import pytest

from jira_port.errors import ConfigError
from jira_port.settings.common import SecretStr
from jira_port.settings.jira import JiraSettings
from jira_port.settings.live import LiveSiteSettings, SyncSettings, WebhookSettings
from jira_port.settings.port import PortSettings

CREDS = {"PORT_CLIENT_ID": "id", "PORT_CLIENT_SECRET": "hunter2-secret"}


@pytest.mark.parametrize(("text", "expected"), [("true", True), ("YES", True), ("1", True), ("off", False)])
def test_booleans_read_the_usual_words(text: str, expected: bool) -> None:
    assert (
        PortSettings.from_env(
            {**CREDS, "PORT_CREATE_MISSING_RELATED_ENTITIES": text}
        ).create_missing_related_entities
        is expected
    )


@pytest.mark.parametrize(
    ("variable", "text", "message"),
    [
        ("PORT_CREATE_MISSING_RELATED_ENTITIES", "maybe-hunter2", "must be true or false"),
        ("PORT_MAX_CONCURRENCY", "4.5-hunter2", "must be a whole number"),
        ("PORT_TIMEOUT_SECONDS", "hunter2", "must be a number"),
        ("PORT_TIMEOUT_SECONDS", "nan", "must be a finite number"),
        ("PORT_MAX_CONCURRENCY", "65", "must be at most 64"),
        ("PORT_TIMEOUT_SECONDS", "0", "must be greater than 0"),
    ],
)
def test_bad_text_names_the_variable_and_never_echoes_the_value(
    variable: str, text: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        PortSettings.from_env({**CREDS, variable: text})
    assert str(caught.value) == f"invalid PortSettings configuration: {variable}: {message}"
    assert "hunter2" not in str(caught.value)


def test_every_problem_is_named_at_once_and_a_required_variable_is_named_when_missing() -> None:
    with pytest.raises(ConfigError) as caught:
        JiraSettings.from_env({"JIRA_PAGE_SIZE": "x", "JIRA_MAX_CONCURRENCY": "0", "JIRA_PAT": "p"})
    message = str(caught.value)
    assert "JIRA_PAGE_SIZE: must be a whole number" in message
    assert "JIRA_BASE_URL: is not set" in message
    assert "JIRA_MAX_CONCURRENCY: must be at least 1" in message


def test_literal_after_aliases_and_its_choices_are_listed() -> None:
    base = {"JIRA_BASE_URL": "https://acme.atlassian.net", "JIRA_PAT": "p"}
    assert JiraSettings.from_env({**base, "JIRA_DEPLOYMENT": "Data-Center"}).deployment == "server"
    with pytest.raises(ConfigError, match="JIRA_DEPLOYMENT: must be one of auto, cloud, server"):
        JiraSettings.from_env({**base, "JIRA_DEPLOYMENT": "mainframe"})


def test_secrets_are_masked_in_repr_and_str_but_readable() -> None:
    settings = PortSettings.from_env(CREDS)
    assert isinstance(settings.client_secret, SecretStr)
    assert settings.client_secret.get_secret_value() == "hunter2-secret"
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings.client_secret)
    assert settings == PortSettings.from_env(CREDS)  # frozen, compared by value


def test_blank_variables_are_unset_overrides_win_and_construction_validates() -> None:
    settings = PortSettings.from_env({**CREDS, "PORT_MAX_CONCURRENCY": "  "}, max_concurrency=3)
    assert settings.max_concurrency == 3
    assert PortSettings.from_env({**CREDS, "PORT_API_URL": " "}).api_url == "https://api.port.io"
    with pytest.raises(ConfigError, match="PORT_MAX_CONCURRENCY: must be at least 1"):
        PortSettings(client_id="id", client_secret=SecretStr("s"), max_concurrency=0)
    with pytest.raises(AttributeError):
        settings.max_concurrency = 5  # type: ignore[misc]


def test_each_live_function_has_its_own_model_composed_from_the_shared_part() -> None:
    shared = set(LiveSiteSettings.env_names().values())
    webhook, sync = set(WebhookSettings.env_names().values()), set(SyncSettings.env_names().values())
    assert shared == {"JIRA_BASE_URL", "PAYLOAD_BUCKET"}
    assert webhook & sync == shared
    assert {"QUEUE_URL", "WEBHOOK_SECRET_ARN", "MAX_BODY_BYTES"} <= webhook - sync
    assert sync - webhook == {"STATE_TABLE", "GUARD_TTL_DAYS"}
    env = {"JIRA_BASE_URL": "https://acme.atlassian.net/", "STATE_TABLE": "state"}
    assert SyncSettings.from_env(env).jira_base_url == "https://acme.atlassian.net"


def test_contradictory_security_settings_fail_fast() -> None:
    with pytest.raises(ConfigError, match="WEBHOOK_REQUIRE_SIGNATURE is true but neither"):
        WebhookSettings.from_env({"WEBHOOK_REQUIRE_SIGNATURE": "true"})
    with pytest.raises(
        ConfigError, match="WEBHOOK_TOKEN is set but WEBHOOK_REQUIRE_SIGNATURE is true"
    ) as caught:
        WebhookSettings.from_env(
            {"WEBHOOK_REQUIRE_SIGNATURE": "true", "WEBHOOK_SECRET": "s", "WEBHOOK_TOKEN": "hunter2-token"}
        )
    assert "hunter2" not in str(caught.value)
