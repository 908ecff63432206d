"""Jira settings validation and credential resolution (environment, secret JSON, rotation)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from jira_port.errors import ConfigError
from jira_port.jira.credentials import CredentialsProvider, credentials_from_secret, credentials_from_settings
from jira_port.settings.jira import JiraSettings

BASE = {"JIRA_BASE_URL": "https://acme.atlassian.net/"}


def _decode(header: str) -> str:
    return base64.b64decode(header.removeprefix("Basic ")).decode()


def test_defaults_and_normalisation() -> None:
    settings = JiraSettings.from_env(
        {**BASE, "JIRA_EMAIL": "a@b.c", "JIRA_API_TOKEN": "tok", "JIRA_DEPLOYMENT": "DC"}
    )
    assert settings.base_url == "https://acme.atlassian.net"
    assert settings.deployment == "server"
    assert settings.field_list == ["*all"]
    assert settings.page_size == 100
    assert settings.jql is None


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({}, "no Jira credentials"),
        ({"JIRA_EMAIL": "a@b.c"}, "JIRA_EMAIL is set without JIRA_API_TOKEN"),
        ({"JIRA_USERNAME": "bob"}, "JIRA_USERNAME is set without JIRA_PASSWORD"),
        ({"JIRA_PAT": "p", "JIRA_PAGE_SIZE": "6000"}, "JIRA_PAGE_SIZE"),
        ({"JIRA_PAT": "p", "JIRA_DEPLOYMENT": "mainframe"}, "JIRA_DEPLOYMENT"),
    ],
)
def test_invalid_settings_name_variables_not_values(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle) as caught:
        JiraSettings.from_env({**BASE, **env, "JIRA_API_TOKEN": env.get("JIRA_API_TOKEN", "")})
    assert "mainframe" not in str(caught.value)


def test_bad_base_url() -> None:
    with pytest.raises(ConfigError, match="JIRA_BASE_URL"):
        JiraSettings.from_env({"JIRA_BASE_URL": "acme.atlassian.net", "JIRA_PAT": "p"})


def test_environment_credentials_precedence_pat_first() -> None:
    env = {**BASE, "JIRA_PAT": "pat-1", "JIRA_USERNAME": "bob", "JIRA_PASSWORD": "pw"}
    creds = credentials_from_settings(JiraSettings.from_env(env))
    assert creds is not None and creds.mode == "bearer"
    assert creds.authorization() == "Bearer pat-1"
    basic = credentials_from_settings(
        JiraSettings.from_env({**BASE, "JIRA_USERNAME": "bob", "JIRA_PASSWORD": "pw"})
    )
    assert basic is not None and _decode(basic.authorization()) == "bob:pw"


def test_credentials_never_show_their_secret() -> None:
    creds = credentials_from_settings(
        JiraSettings.from_env({**BASE, "JIRA_EMAIL": "a@b.c", "JIRA_API_TOKEN": "s3cr3t"})
    )
    assert creds is not None
    assert "s3cr3t" not in repr(creds) and "s3cr3t" not in creds.describe()
    assert creds.describe() == "basic auth from JIRA_EMAIL/JIRA_API_TOKEN"


@pytest.mark.parametrize(
    ("secret", "mode", "decoded"),
    [
        ({"email": "a@b.c", "apiToken": "t"}, "basic", "a@b.c:t"),
        ({"JIRA_EMAIL": "a@b.c", "JIRA_API_TOKEN": "t"}, "basic", "a@b.c:t"),
        ({"username": "bob", "password": "pw"}, "basic", "bob:pw"),
        ({"JIRA_USERNAME": "bob", "JIRA_PASSWORD": "pw"}, "basic", "bob:pw"),
        ({"pat": "p"}, "bearer", None),
        ({"JIRA_PAT": "p", "email": "ignored@b.c"}, "bearer", None),
    ],
)
def test_secret_json_key_variants(secret: dict[str, str], mode: str, decoded: str | None) -> None:
    creds = credentials_from_secret(secret, "arn:secret")
    assert creds.mode == mode
    if decoded is not None:
        assert _decode(creds.authorization()) == decoded
    assert creds.source == "secret arn:secret"


def test_incomplete_secret_is_a_config_error_without_values() -> None:
    with pytest.raises(ConfigError, match="no complete Jira credentials") as caught:
        credentials_from_secret({"email": "a@b.c", "password": "hunter2"}, "arn:x")
    assert "hunter2" not in str(caught.value)


def test_secret_backed_provider_rereads_with_force_fetch() -> None:
    # Given a secret that is rotated after the first read
    calls: list[bool] = []
    values = [{"pat": "old"}, {"pat": "new"}]

    def fetch(secret_id: str, force_fetch: bool = False) -> dict[str, Any]:
        calls.append(force_fetch)
        return values[min(len(calls) - 1, 1)]

    settings = JiraSettings.from_env({**BASE, "JIRA_CREDENTIALS_SECRET_ARN": "arn:jira"})
    provider = CredentialsProvider.from_settings(settings, fetch=fetch)
    assert provider.refreshable
    assert provider.current().authorization() == "Bearer old"
    # When the client asks for a refresh (after a 401)
    assert provider.refresh().authorization() == "Bearer new"
    # Then the cache was bypassed exactly once
    assert calls == [False, True]


def test_environment_provider_is_not_refreshable() -> None:
    provider = CredentialsProvider.from_settings(JiraSettings.from_env({**BASE, "JIRA_PAT": "p"}))
    assert not provider.refreshable
    assert provider.refresh() is provider.current()
