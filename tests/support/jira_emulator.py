"""The local Jira for tests: running emulators, matching env/clients, and a webhook receiver.

    with running_jira("cloud", issues=50) as jira:
        client = jira.client()                    # JiraClient with fast retries
        env = jira.env                            # JIRA_BASE_URL + credentials for from_env()
        jira.emulator.update_issue("PLAT-1", summary="x")

Pytest fixtures ``jira_cloud`` / ``jira_server`` (3 projects, 60 issues, seed 1) wrap the same thing; use
them with ``from tests.support.jira_emulator import jira_cloud`` or ``pytest_plugins``.
``WebhookReceiver`` records deliveries (headers + raw body) and answers scripted statuses.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from jira_port.jira import JiraClient, JiraCredentials
from jira_port.transport import RetryPolicy
from jira_port_emulators.jira import Account, JiraEmulator, JiraFaults, generate_dataset

CLOUD_LOGIN = ("admin@example.com", "api-token")
SERVER_LOGIN = ("admin", "admin")
SERVER_PAT = "local-pat"
# Retries as in production but without waiting (the emulator's Retry-After is 0 in tests).
FAST_RETRIES = RetryPolicy(max_attempts=8, base_delay=0.001, max_delay=0.01, max_server_delay=0.01)


@dataclass
class RunningJira:
    emulator: JiraEmulator
    url: str

    @property
    def flavour(self) -> str:
        return self.emulator.flavour

    @property
    def credentials(self) -> JiraCredentials:
        if self.flavour == "cloud":
            return JiraCredentials.basic(*CLOUD_LOGIN)
        return JiraCredentials.bearer(SERVER_PAT)

    @property
    def env(self) -> dict[str, str]:
        """Environment for ``JiraClient.from_env`` / the CLI / the Lambdas."""
        env = {"JIRA_BASE_URL": self.url}
        if self.flavour == "cloud":
            env.update(JIRA_EMAIL=CLOUD_LOGIN[0], JIRA_API_TOKEN=CLOUD_LOGIN[1])
        else:
            env["JIRA_PAT"] = SERVER_PAT
        return env

    def client(self, **options: Any) -> JiraClient:
        """A client for this emulator (fast retries unless ``retry_policy`` is given)."""
        options.setdefault("retry_policy", FAST_RETRIES)
        options.setdefault("sleep", lambda _s: None)
        return JiraClient(self.url, options.pop("credentials", self.credentials), **options)


def default_accounts(flavour: str) -> list[Account]:
    if flavour == "cloud":
        return [Account(CLOUD_LOGIN[0], secret=CLOUD_LOGIN[1])]
    return [Account(SERVER_LOGIN[0], secret=SERVER_LOGIN[1], pat=SERVER_PAT)]


@contextmanager
def running_jira(
    flavour: str = "cloud",
    *,
    projects: int = 3,
    issues: int = 60,
    seed: int = 1,
    accounts: Iterable[Account] | None = None,
    faults: JiraFaults | None = None,
    dataset_options: dict[str, Any] | None = None,
    **options: Any,
) -> Iterator[RunningJira]:
    """A started emulator with a generated dataset (``dataset_options``: more ``generate_dataset`` arguments,
    e.g. ``users``, ``boards``); stopped on exit."""
    dataset = generate_dataset(projects, issues, flavour=flavour, seed=seed, **(dataset_options or {}))  # type: ignore[arg-type]
    emulator = JiraEmulator(
        dataset,
        users=list(accounts) if accounts is not None else default_accounts(flavour),
        faults=faults or JiraFaults(retry_after=0.0),
        **options,
    )
    with emulator.running() as emu:
        yield RunningJira(emu, emu.url)


@pytest.fixture
def jira_cloud() -> Iterator[RunningJira]:
    with running_jira("cloud") as jira:
        yield jira


@pytest.fixture
def jira_server() -> Iterator[RunningJira]:
    with running_jira("server") as jira:
        yield jira


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """An HTTP endpoint on 127.0.0.1 that records POSTs and answers ``statuses`` in turn (then 200)."""

    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/webhook"

    def __enter__(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.received.append(Received(self.path, dict(self.headers.items()), body))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    def events(self) -> list[str]:
        return [r.json().get("webhookEvent") for r in self.received]
