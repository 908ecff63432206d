"""``jira-port serve`` as a faithful stand-in under attack: secrets never logged (DEBUG), HTTP framing, a
runaway mapping that leaves it responsive and stoppable, log context kept per simulated function."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jira_port.live.auth import url_token
from jira_port_emulators.jira import Account, sign
from jira_port_emulators.port import PortEmulator
from jira_port_tools.serve.local_http import READ_TIMEOUT_SECONDS, redact
from jira_port_tools.serve.local_server import LocalServer
from tests.integration.live.webhooks import raw_of
from tests.support.fixtures import load_fixture
from tests.support.jira_emulator import running_jira
from tests.support.port_emulator import CLIENT_SECRET, new_emulator

ROOT = Path(__file__).resolve().parents[3]
ENTRY = "import sys; from jira_port_tools.cli import main; sys.exit(main(sys.argv[1:]))"
SIGNING_SECRET = "sig-7f3a9c1e5b2d4e6f"
URL_TOKEN = "tok-4b8e2a6c0d9f1e3a"
JIRA_API_TOKEN = "jira-5c1d7e9a3b6f2c8d"
RUNAWAY_MAPPING = [
    {
        "blueprint": "jiraIssue",
        "filter": '.body.webhookEvent | startswith("jira:issue")',
        "entity": {
            "identifier": ".body.issue.key",
            "title": ".body.issue.fields.summary",
            "properties": {
                "status": 'if .body.issue.key == "RUN-1" then (def f: f; f) '
                "else .body.issue.fields.status.name end"
            },
        },
    }
]


@pytest.fixture
def port() -> Iterator[PortEmulator]:
    emulator = new_emulator()
    with emulator.running():
        yield emulator


def _base_env(port: PortEmulator) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("WEBHOOK_", "MAPPING_", "PORT_", "JIRA_"))
    }
    for name in ("QUEUE_URL", "STATE_TABLE", "PAYLOAD_BUCKET", "AWS_ENDPOINT_URL"):
        env.pop(name, None)
    assert port.url is not None
    env.update(
        PYTHONUNBUFFERED="1",
        POWERTOOLS_LOG_LEVEL="DEBUG",
        PORT_API_URL=port.url,
        PORT_CLIENT_ID="local-id",
        PORT_CLIENT_SECRET=CLIENT_SECRET,
        JIRA_BASE_URL="https://acme.atlassian.net",
    )
    return env


class Serve:
    """``jira-port serve`` in a subprocess; every output line is kept."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                ENTRY,
                "serve",
                "--port",
                "0",
                "--retry-delay",
                "0",
                "--max-receive-count",
                "2",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.started = threading.Event()
        self.url = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        assert self.started.wait(60), "serve did not start:\n" + "".join(self.lines)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            match = re.search(r"POST Jira webhooks to (\S+)/webhook ", line)
            if match:
                self.url = match.group(1)
                self.started.set()

    def post(self, path: str, body: bytes, headers: dict[str, str] | None = None) -> int:
        import urllib.error
        import urllib.request

        request = urllib.request.Request(self.url + path, data=body, method="POST", headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    def status(self) -> dict[str, Any]:
        import urllib.request

        with urllib.request.urlopen(self.url + "/_local/status", timeout=30) as response:
            return dict(json.loads(response.read()))

    def terminate(self) -> float:
        """SIGTERM; the seconds until the process ended."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        self._reader.join(timeout=10)
        return time.monotonic() - started

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _issue(key: str, issue_id: int) -> bytes:
    body = load_fixture("jira-webhooks/webhook-issue-updated-labels.json")
    body["issue"]["key"], body["issue"]["id"] = key, str(issue_id)
    return raw_of(body)


def _wait(condition: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_serve_at_debug_with_a_runaway_mapping(port: PortEmulator) -> None:
    # Given serve at DEBUG with every secret configured and a mapping that runs away on RUN-1
    env = {
        **_base_env(port),
        "WEBHOOK_SECRET": SIGNING_SECRET,
        "WEBHOOK_TOKEN": URL_TOKEN,
        "MAPPING_CONFIG": json.dumps(RUNAWAY_MAPPING),
        "MAPPING_TIMEOUT_SECONDS": "1",
    }
    serve = Serve(env)
    try:
        # When the runaway event arrives (signed), then good ones by token, query token and signature
        runaway = _issue("RUN-1", 90001)
        assert serve.post("/webhook", runaway, {"X-Hub-Signature": sign(SIGNING_SECRET, runaway)}) == 202
        good = [_issue(f"OK-{n}", 91000 + n) for n in range(3)]
        assert serve.post(f"/webhook/{URL_TOKEN}", good[0]) == 202
        assert serve.post(f"/webhook?token={URL_TOKEN}&x=1", good[1]) == 202
        assert serve.post("/webhook", good[2], {"X-Hub-Signature": sign(SIGNING_SECRET, good[2])}) == 202
        # and wrong credentials, which are logged as rejections
        assert serve.post(f"/webhook/{URL_TOKEN}x", good[0]) == 401
        assert serve.post(f"/webhook?token={SIGNING_SECRET}", good[0]) == 401
        # Then the service stays responsive while the runaway is evaluated and retried
        started = time.monotonic()
        assert serve.status()["queued"] >= 0
        assert time.monotonic() - started < 1.5
        assert _wait(lambda: {"OK-0", "OK-1", "OK-2"} <= set(port.entities("jiraIssue")), 60)
        assert _wait(lambda: serve.status()["deadLettered"] == 1, 60)
        # and SIGTERM stops it within seconds, even during a runaway evaluation
        assert serve.post("/webhook", runaway, {"X-Hub-Signature": sign(SIGNING_SECRET, runaway)}) == 202
        time.sleep(0.3)
        assert serve.terminate() < 10
    finally:
        serve.kill()
    output = "".join(serve.lines)
    assert "mapping bound exceeded" in output and "entity.properties.status" in output
    assert '"request": "POST /webhook/<redacted> HTTP/1.1" 202' in output or "/webhook/<redacted>" in output
    # No secret, in any form, in any line at any level
    for secret in _forms(SIGNING_SECRET, URL_TOKEN, CLIENT_SECRET, url_token(SIGNING_SECRET.encode())):
        assert secret not in output, f"a secret reached the output: {secret[:4]}..."
    _assert_no_correlation_bleed(serve.lines)


def _forms(*secrets: str) -> list[str]:
    return [form for s in secrets for form in {s, urllib.parse.quote(s, safe=""), json.dumps(s)[1:-1]}]


def _assert_no_correlation_bleed(lines: list[str]) -> None:
    """Webhook lines carry the request id (no delivery identifier was sent), sync lines the message's
    deduplication id (a SHA-256), and lines outside any function (front door, poller) none."""
    seen = set()
    for line in lines:
        if not line.startswith("{"):
            continue
        record = json.loads(line)
        cid = record.get("correlation_id")
        function = record.get("function_name")
        if function == "jira-port-webhook":
            assert re.fullmatch(r"[0-9a-f-]{36}", cid or ""), record
        elif function == "jira-port-sync":
            assert cid is None or re.fullmatch(r"[0-9a-f]{64}", cid), record
        else:
            assert cid is None, record
        seen.add(function)
    assert {"jira-port-webhook", "jira-port-sync", None} <= seen


def test_cli_commands_at_debug_never_print_secrets(port: PortEmulator) -> None:
    account = Account("admin@example.com", secret=JIRA_API_TOKEN)
    with running_jira("cloud", issues=5, accounts=[account]) as jira:
        env = {
            **_base_env(port),
            "JIRA_BASE_URL": jira.url,
            "JIRA_EMAIL": "admin@example.com",
            "JIRA_API_TOKEN": JIRA_API_TOKEN,
            "WEBHOOK_SECRET": SIGNING_SECRET,
            "WEBHOOK_TOKEN": URL_TOKEN,
        }
        outputs = []
        for command in (
            ["register-webhook", "--url", "https://hooks.example.com/jira"],
            ["doctor"],
            ["blueprints", "--dry-run"],
        ):
            done = subprocess.run(
                [sys.executable, "-c", ENTRY, *command],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            outputs.append(done.stdout + done.stderr)
        assert "created" in outputs[0]
    output = "\n".join(outputs)
    for secret in _forms(SIGNING_SECRET, URL_TOKEN, CLIENT_SECRET, JIRA_API_TOKEN):
        assert secret not in output, f"a secret reached the output: {secret[:4]}..."


def test_redaction_of_request_lines() -> None:
    assert (
        redact('"POST /webhook/abc%2Fd?x=1 HTTP/1.1" 202 -')
        == '"POST /webhook/<redacted>?x=1 HTTP/1.1" 202 -'
    )
    assert (
        redact("GET /webhook?x=1&token=abc&y=2 HTTP/1.1") == "GET /webhook?x=1&token=<redacted>&y=2 HTTP/1.1"
    )
    assert (
        redact("Bad request syntax ('POST /webhook/s3cret HTT')")
        == "Bad request syntax ('POST /webhook/<redacted> HTT')"
    )


@pytest.fixture
def server(port: PortEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalServer]:
    for name, value in _base_env(port).items():
        if name.startswith(("PORT_", "JIRA_")):
            monkeypatch.setenv(name, value)
    for name in (
        "WEBHOOK_SECRET_ARN",
        "WEBHOOK_TOKEN",
        "WEBHOOK_REQUIRE_SIGNATURE",
        "MAPPING_FILE",
        "MAPPING_CONFIG",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WEBHOOK_SECRET", SIGNING_SECRET)
    local = LocalServer(port=0, retry_delay_seconds=0)
    with local.running():
        yield local


def _raw_request(server: LocalServer, data: bytes, *, wait: float = 10) -> bytes:
    with socket.create_connection((server.host, server.port), timeout=wait) as conn:
        conn.sendall(data)
        chunks = []
        try:
            while chunk := conn.recv(65536):
                chunks.append(chunk)
                if b"\r\n\r\n" in b"".join(chunks) and b"close" in b"".join(chunks).lower():
                    break
        except TimeoutError:
            pass
        return b"".join(chunks)


def _status(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


@pytest.mark.parametrize(
    ("head", "status"),
    [
        (b"Content-Length: -5\r\n", 400),
        (b"Content-Length: abc\r\n", 400),
        (b"Content-Length: 5, 6\r\n", 400),
        (b"Content-Length: +5\r\n", 400),
        (b"Content-Length: 2\r\nContent-Length: 3\r\n", 400),
        (b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n", 400),
        (b"Transfer-Encoding: gzip\r\n", 501),
        (b"Content-Length: 99999999999\r\n", 413),
    ],
)
def test_bad_framing_is_refused(server: LocalServer, head: bytes, status: int) -> None:
    request = b"POST /webhook HTTP/1.1\r\nHost: x\r\n" + head + b"Connection: close\r\n\r\n{}"
    assert _status(_raw_request(server, request)) == status


def test_chunked_bodies_are_read_and_verified(server: LocalServer, port: PortEmulator) -> None:
    body = raw_of(load_fixture("jira-webhooks/webhook-issue-created.json"))
    pieces = [body[:100], body[100:5000], body[5000:]]
    chunked = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\nX-Trailer: 1\r\n\r\n"
    head = (
        b"POST /webhook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n"
        b"X-Hub-Signature: " + sign(SIGNING_SECRET, body).encode() + b"\r\n\r\n"
    )
    assert _status(_raw_request(server, head + chunked)) == 202
    bad = head + b"zz\r\nabc\r\n0\r\n\r\n"
    assert _status(_raw_request(server, bad)) == 400
    huge = head + b"%x\r\n" % (11 * 1024 * 1024)
    assert _status(_raw_request(server, huge)) == 413


def test_a_body_shorter_than_its_length_times_out_with_408(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jira_port_tools.serve.local_http import LocalHandler

    monkeypatch.setattr(LocalHandler, "timeout", 0.5)
    assert READ_TIMEOUT_SECONDS == 30
    request = b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{}"
    assert _status(_raw_request(server, request)) == 408
    # and the server still answers others
    assert server.status()["queued"] == 0


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"WEBHOOK_REQUIRE_SIGNATURE": "true"}, "WEBHOOK_REQUIRE_SIGNATURE is true but neither"),
        (
            {
                "WEBHOOK_REQUIRE_SIGNATURE": "true",
                "WEBHOOK_SECRET": SIGNING_SECRET,
                "WEBHOOK_TOKEN": URL_TOKEN,
            },
            "WEBHOOK_TOKEN is set but WEBHOOK_REQUIRE_SIGNATURE is true",
        ),
        ({"MAPPING_TIMEOUT_SECONDS": "0"}, "MAPPING_TIMEOUT_SECONDS"),
        (
            {
                "MAPPING_CONFIG": json.dumps(RUNAWAY_MAPPING).replace("RUN-1", "KT-22"),
                "MAPPING_TIMEOUT_SECONDS": "0.2",
            },
            "rule 0, entity.properties.status: did not finish within the bound of 0.2 s",
        ),
    ],
)
def test_contradictory_or_unbounded_settings_exit_2_naming_the_variable(
    port: PortEmulator, env: dict[str, str], variable: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", ENTRY, "serve", "--port", "0", "--once"],
        cwd=ROOT,
        env={**_base_env(port), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert variable in done.stderr
    assert SIGNING_SECRET not in done.stderr and URL_TOKEN not in done.stderr
