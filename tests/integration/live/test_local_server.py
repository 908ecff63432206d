"""``jira-port serve``: the real handlers behind a local HTTP server, fed by Jira's webhook sender."""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from jira_port.mapping import bundled_mapping_text
from jira_port_emulators.jira import WebhookSender
from jira_port_emulators.port import PortEmulator
from jira_port_tools.serve.local_server import LocalServer
from tests.integration.live.streams import POISON_RULE, issue_deleted, issue_update
from tests.integration.live.webhooks import TEST_SECRET, raw_of
from tests.support.fixtures import load_fixture
from tests.support.port_emulator import new_emulator

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def port() -> Iterator[PortEmulator]:
    emulator = new_emulator()
    with emulator.running():
        yield emulator


@pytest.fixture
def serve_env(port: PortEmulator, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The variables ``jira-port serve`` reads; AWS endpoints and credentials are its own business."""
    assert port.url is not None
    env = {
        "PORT_API_URL": port.url,
        "PORT_CLIENT_ID": "local-id",
        "PORT_CLIENT_SECRET": "local-secret",
        "WEBHOOK_SECRET": TEST_SECRET,
        "JIRA_BASE_URL": "https://acme.atlassian.net",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in (
        "PORT_CREDENTIALS_SECRET_ARN",
        "WEBHOOK_SECRET_ARN",
        "WEBHOOK_TOKEN",
        "WEBHOOK_REQUIRE_SIGNATURE",
        "MAPPING_FILE",
        "MAPPING_CONFIG",
        "QUEUE_URL",
        "STATE_TABLE",
        "PAYLOAD_BUCKET",
        "AWS_ENDPOINT_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    return env


@pytest.fixture
def server(serve_env: dict[str, str]) -> Iterator[LocalServer]:
    local = LocalServer(port=0, max_receive_count=3, retry_delay_seconds=0)
    with local.running():
        yield local


def post(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_jira_sender_stream_through_serve(server: LocalServer, port: PortEmulator) -> None:
    # Given Jira's sender (signed, retried, 50% duplicates, shuffled order) pointed at jira-port serve
    sender = WebhookSender(server.webhook_url, TEST_SECRET, hold=True, duplicate_rate=0.5, seed=3)
    for i in range(6):
        for version in range(4):
            sender.emit(issue_update(i, version, 1_767_225_600_000 + version * 60_000 + i))
    sender.emit(issue_deleted(0, 1_767_225_600_000 + 10 * 60_000))
    sender.emit(load_fixture("jira-webhooks/webhook-server-issue-updated-many-fields.json"))
    # When every held event is delivered and the local queue drains
    deliveries = sender.flush()
    server.drain(timeout=60)
    sender.close()
    # Then every delivery was acknowledged at once, and Port holds the newest state of each issue
    assert all(d.delivered and len(d.attempts) == 1 for d in sender.deliveries)
    issues = port.entities("jiraIssue")
    assert "TES-100" not in issues
    for i in range(1, 6):
        assert issues[f"TES-{100 + i}"]["properties"]["summary"] == f"TES-{100 + i} v3"
    assert "HEY-15" in issues
    status = server.status()
    assert status["queued"] == 0 and status["deadLettered"] == 0
    assert status["synced"] >= len(deliveries)


def test_http_front_door(server: LocalServer) -> None:
    body = raw_of(load_fixture("jira-webhooks/webhook-issue-updated-labels.json"))
    assert post(server.webhook_url, body, {"X-Hub-Signature": "sha256=" + "0" * 64})[0] == 401
    assert post(server.webhook_url, body)[0] == 401
    assert post(f"{server.url}/other", body)[0] == 404
    with urllib.request.urlopen(f"{server.url}/_local/status", timeout=10) as response:
        assert json.loads(response.read())["queued"] == 0
    request = urllib.request.Request(f"{server.url}/webhook", method="GET")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    assert info.value.code == 404
    huge = urllib.request.Request(
        server.webhook_url, data=b"{}", method="POST", headers={"Content-Length": str(11 * 1024 * 1024)}
    )
    with pytest.raises((urllib.error.HTTPError, ConnectionError, urllib.error.URLError)) as too_big:
        urllib.request.urlopen(huge, timeout=10)
    if isinstance(too_big.value, urllib.error.HTTPError):
        assert too_big.value.code == 413


def test_token_route(serve_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, port: PortEmulator) -> None:
    monkeypatch.delenv("WEBHOOK_SECRET")
    monkeypatch.setenv("WEBHOOK_TOKEN", "tok/with%special")
    body = raw_of(load_fixture("jira-webhooks/webhook-server-issue-updated-closed.json"))
    local = LocalServer(port=0, retry_delay_seconds=0)
    with local.running():
        assert post(f"{local.url}/webhook/tok%2Fwith%25special", body)[0] == 202
        assert post(f"{local.url}/webhook?token=tok/with%25special", body)[0] == 202
        assert post(f"{local.url}/webhook/wrong", body)[0] == 401
        local.drain()
    assert "TES-4" in port.entities("jiraIssue")
    assert os.environ.get("QUEUE_URL") is None  # the server restored the environment


def test_stop_releases_everything_start_created(serve_env: dict[str, str], port: PortEmulator) -> None:
    # Given a server whose sync function wrote to Port (its Port client keeps a pooled connection)
    before = set(threading.enumerate())
    local = LocalServer(port=0, retry_delay_seconds=0)
    body = raw_of(load_fixture("jira-webhooks/webhook-issue-created.json"))
    with local.running():
        from jira_port_emulators.jira import sign

        assert post(local.webhook_url, body, {"X-Hub-Signature": sign(TEST_SECRET, body)})[0] == 202
        local.drain()
    assert "TES-41" in port.entities("jiraIssue")
    # When it has stopped (the Port emulator still runs, and would keep serving an open connection)
    # Then the handler modules are gone, and every thread it caused ends: nothing holds a connection
    assert [name for name in sys.modules if name.startswith("jira_port_local_")] == []
    started = [t for t in threading.enumerate() if t not in before]
    for thread in started:
        thread.join(timeout=15)
    assert [t.name for t in started if t.is_alive()] == []


def test_poison_event_is_dead_lettered(serve_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    config = [*yaml.safe_load(bundled_mapping_text("default")), POISON_RULE]
    monkeypatch.setenv("MAPPING_CONFIG", json.dumps(config))
    body = raw_of(load_fixture("jira-webhooks/webhook-issue-updated-assigned.json"))
    local = LocalServer(port=0, max_receive_count=2, retry_delay_seconds=0)
    with local.running():
        from jira_port_emulators.jira import sign

        assert post(local.webhook_url, body, {"X-Hub-Signature": sign(TEST_SECRET, body)})[0] == 202
        local.drain()
        assert local.dead_letter_count() == 1
        (dead,) = local.dead_letters()
        assert dead["group"] == "issue:10040"
        assert local.dead_letter_count() == 1  # peeking leaves it in the DLQ


def test_cli_serve_once(serve_env: dict[str, str], port: PortEmulator) -> None:
    # Given `jira-port serve --once` on a free port
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    entry = "import sys; from jira_port_tools.cli import main; sys.exit(main(sys.argv[1:]))"
    command = [sys.executable, "-c", entry, "serve", "--port", "0", "--once"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stderr is not None
        url = None
        for line in process.stderr:
            match = re.search(r"POST Jira webhooks to (\S+) \(signed\)", line)
            if match:
                url = match.group(1)
                break
        assert url is not None, "serve did not start"
        # When one signed delivery arrives
        body = copy.deepcopy(load_fixture("jira-webhooks/webhook-issue-created.json"))
        raw = raw_of(body)
        from jira_port_emulators.jira import sign

        assert post(url, raw, {"X-Hub-Signature": sign(TEST_SECRET, raw)})[0] == 202
        # Then it is synced and the command exits cleanly
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "TES-41" in port.entities("jiraIssue")


def test_cli_config_errors_exit_2(serve_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from jira_port_tools.cli import main

    monkeypatch.delenv("PORT_CLIENT_ID")
    assert main(["serve", "--port", "0", "--once"]) == 2
