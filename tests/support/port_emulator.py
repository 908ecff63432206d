"""Pytest fixtures and helpers around the local Port emulator.

Make them available by importing them in your test folder's ``conftest.py``::

    from tests.support.port_emulator import port_client, port_emulator, port_env  # noqa: F401

- ``port_emulator``: a running ``PortEmulator`` with the bundled blueprints (no faults).
- ``port_env``: sets ``PORT_API_URL`` / ``PORT_CLIENT_ID`` / ``PORT_CLIENT_SECRET`` for code that calls
  ``PortClient.from_env()`` (and clears ``PORT_CREDENTIALS_SECRET_ARN``); returns the values.
- ``port_client``: a ``PortClient`` on the emulator with millisecond retry delays.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jira_port.port import PortClient
from jira_port.settings.port import PortSettings
from jira_port.transport import RetryPolicy
from jira_port_emulators.port import PortEmulator, PortFaults
from jira_port_tools.blueprints import bundled_blueprints, dependency_order

CLIENT_ID = "local-id"
CLIENT_SECRET = "local-secret"
# Retries as in production, but with delays short enough for tests.
FAST_POLICY = RetryPolicy(max_attempts=8, base_delay=0.01, max_delay=0.05, max_server_delay=0.5)


def new_emulator(
    *, faults: PortFaults | None = None, token_lifetime: float = 10800.0, with_blueprints: bool = True
) -> PortEmulator:
    """An emulator (not yet running), optionally with the bundled blueprints loaded."""
    blueprints = dependency_order(bundled_blueprints()) if with_blueprints else []
    return PortEmulator(CLIENT_ID, CLIENT_SECRET, token_lifetime, faults, blueprints=blueprints)


def settings_for(emulator: PortEmulator, **overrides: Any) -> PortSettings:
    """``PortSettings`` pointing at a running emulator."""
    assert emulator.url is not None, "start the emulator first (with emulator.running())"
    values: dict[str, Any] = {"api_url": emulator.url, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    values.update(overrides)
    return PortSettings(**values)


def client_for(emulator: PortEmulator, *, policy: RetryPolicy = FAST_POLICY, **overrides: Any) -> PortClient:
    """A ``PortClient`` on a running emulator (close it, or use it as a context manager)."""
    return PortClient(settings_for(emulator, **overrides), policy=policy)


@pytest.fixture
def port_emulator() -> Iterator[PortEmulator]:
    """A running emulator with the bundled blueprints."""
    emulator = new_emulator()
    with emulator.running():
        yield emulator


@pytest.fixture
def port_env(port_emulator: PortEmulator, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment variables that point ``PortClient.from_env()`` at ``port_emulator``."""
    assert port_emulator.url is not None
    env = {
        "PORT_API_URL": port_emulator.url,
        "PORT_CLIENT_ID": CLIENT_ID,
        "PORT_CLIENT_SECRET": CLIENT_SECRET,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PORT_CREDENTIALS_SECRET_ARN", raising=False)
    return env


@pytest.fixture
def port_client(port_emulator: PortEmulator) -> Iterator[PortClient]:
    """A ``PortClient`` on ``port_emulator`` with fast retries."""
    with client_for(port_emulator) as client:
        yield client


def jira_mapper(
    mappings: list[dict[str, Any]] | None = None, identifier: str = "jira_mapper"
) -> dict[str, Any]:
    """A webhook data source as the Port guides create it; ``mappings`` default to the bundled default
    mapping, as Port's UI holds it (plain JSON: YAML anchors resolved)."""
    import yaml

    from jira_port.mapping import bundled_mapping_text

    rules = mappings if mappings is not None else yaml.safe_load(bundled_mapping_text("default"))
    return {
        "identifier": identifier,
        "title": "Jira mapper",
        "enabled": True,
        "mappings": rules,
        "security": {},
    }


def patch_webhook(emulator: PortEmulator, identifier: str, body: dict[str, Any]) -> dict[str, Any]:
    """``PATCH /v1/webhooks/{identifier}`` over HTTP, as Port's UI saves an edit; returns the answer."""
    import requests

    assert emulator.url is not None
    token = requests.post(
        f"{emulator.url}/v1/auth/access_token",
        json={"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET},
        timeout=10,
    ).json()["accessToken"]
    answer = requests.patch(
        f"{emulator.url}/v1/webhooks/{identifier}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result
