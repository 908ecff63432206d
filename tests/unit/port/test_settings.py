"""PortSettings: base URL forms, credentials sources, and messages that never echo secrets."""

from __future__ import annotations

import pytest

from jira_port.errors import ConfigError
from jira_port.settings.port import PortSettings

CREDS = {"PORT_CLIENT_ID": "id", "PORT_CLIENT_SECRET": "very-secret-value"}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, "https://api.port.io"),
        ("https://api.us.port.io/", "https://api.us.port.io"),
        ("https://api.getport.io", "https://api.getport.io"),
        ("https://api.us.getport.io/v1", "https://api.us.getport.io"),
        ("https://api.getport.io/v1/", "https://api.getport.io"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ],
)
def test_base_url_forms_are_normalised(given: str | None, expected: str) -> None:
    env = dict(CREDS) | ({"PORT_API_URL": given} if given else {})
    settings = PortSettings.from_env(env)
    assert settings.api_url == expected
    assert settings.url("/v1/blueprints") == f"{expected}/v1/blueprints"


@pytest.mark.parametrize("bad", ["api.port.io", "ftp://api.port.io", "https://", "https://x?y=1"])
def test_bad_base_url_names_the_variable(bad: str) -> None:
    with pytest.raises(ConfigError, match="PORT_API_URL"):
        PortSettings.from_env({**CREDS, "PORT_API_URL": bad})


def test_defaults() -> None:
    settings = PortSettings.from_env(CREDS)
    assert settings.create_missing_related_entities is True
    assert settings.max_concurrency == 8
    assert settings.timeout_seconds == 30


def test_credentials_are_required_from_one_source() -> None:
    with pytest.raises(ConfigError) as caught:
        PortSettings.from_env({"PORT_CLIENT_ID": "only-the-id"})
    # The missing variable is blamed, not the alternative source.
    assert "configuration: PORT_CLIENT_SECRET not set: set PORT_CLIENT_ID and PORT_CLIENT_SECRET" in str(
        caught.value
    )
    assert str(caught.value).endswith("or PORT_CREDENTIALS_SECRET_ARN")
    with pytest.raises(ConfigError, match="configuration: PORT_CLIENT_ID and PORT_CLIENT_SECRET not set"):
        PortSettings.from_env({})
    assert (
        PortSettings.from_env({"PORT_CREDENTIALS_SECRET_ARN": "arn:aws:secretsmanager:x"}).client_id is None
    )


def test_errors_and_repr_never_show_the_secret() -> None:
    settings = PortSettings.from_env(CREDS)
    assert "very-secret-value" not in repr(settings)
    with pytest.raises(ConfigError) as caught:
        PortSettings.from_env({**CREDS, "PORT_MAX_CONCURRENCY": "0", "PORT_TIMEOUT_SECONDS": "abc"})
    message = str(caught.value)
    assert "PORT_MAX_CONCURRENCY" in message and "PORT_TIMEOUT_SECONDS" in message
    assert "very-secret-value" not in message


def test_boolean_variable_accepts_false() -> None:
    env = {**CREDS, "PORT_CREATE_MISSING_RELATED_ENTITIES": "false"}
    assert PortSettings.from_env(env).create_missing_related_entities is False
