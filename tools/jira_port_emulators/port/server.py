"""``PortEmulator``: a local Port API on 127.0.0.1 (stdlib ``ThreadingHTTPServer``).

Use ``with emu.running() as port:`` in tests (``port.url`` is the base URL) or ``emu.serve()`` from
the CLI. Faults, token lifetime and credentials can be changed while it runs; every request is
recorded (method, path, query, JSON body with the client secret redacted, status, answer).
"""

from __future__ import annotations

import copy
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from jira_port_emulators.port.errors import ApiError
from jira_port_emulators.port.faults import FaultInjector, PortFaults, RateWindow
from jira_port_emulators.port.routes import MAX_BODY_BYTES, Request, Router
from jira_port_emulators.port.store import ACTOR, PortStore
from jira_port_emulators.port.tokens import TokenIssuer

AUTH_SEGMENTS = ["v1", "auth", "access_token"]
_MAX_READ = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request the emulator answered."""

    method: str
    url: str  # path and query exactly as sent (percent-encoded)
    path: str  # decoded path
    query: dict[str, list[str]]
    body: Any
    status: int
    response: Any
    authorized: bool = field(default=False)


@dataclass(frozen=True, slots=True)
class RunningPort:
    """Where a running emulator listens."""

    url: str
    host: str
    port: int


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], emulator: PortEmulator) -> None:
        self.emulator = emulator
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "LocalPort/1.0"
    timeout = 60
    # One buffered write per answer and no Nagle: headers and body must not wait for a delayed ACK.
    wbufsize = -1
    disable_nagle_algorithm = True
    server: _Server

    def _any(self) -> None:
        self.server.emulator.serve_request(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the emulator records requests instead of printing them."""


class PortEmulator:
    """A faithful local Port API (see ``docs`` of ``jira_port_emulators.port``) with fault injection."""

    def __init__(
        self,
        client_id: str = "local-id",
        client_secret: str = "local-secret",  # noqa: S107 - the emulator's well-known local credential
        token_lifetime: float = 10800.0,
        faults: PortFaults | None = None,
        *,
        blueprints: Iterable[dict[str, Any]] = (),
        rate_limit: int = 35_000,
        rate_period: int = 300,
        max_body_bytes: int = MAX_BODY_BYTES,
        max_records: int | None = 100_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = PortStore(clock)
        self.tokens = TokenIssuer(client_id, client_secret, token_lifetime, clock)
        self._injector = FaultInjector(faults or PortFaults())
        self._window = RateWindow(rate_limit, rate_period, clock)
        self._router = Router(self.store, self.tokens, max_body_bytes)
        self._records: deque[RecordedRequest] = deque(maxlen=max_records)
        self._records_lock = threading.Lock()
        self.url: str | None = None
        for definition in blueprints:
            self.add_blueprint(definition)

    # ---- configuration ----------------------------------------------------------------

    @property
    def faults(self) -> PortFaults:
        """The fault configuration (assigning one resets the RNG to its seed)."""
        return self._injector.faults

    @faults.setter
    def faults(self, value: PortFaults) -> None:
        self._injector.faults = value

    @property
    def token_lifetime(self) -> float:
        """Lifetime in seconds of tokens issued from now on."""
        return self.tokens.lifetime

    @token_lifetime.setter
    def token_lifetime(self, seconds: float) -> None:
        self.tokens.lifetime = seconds

    def set_credentials(self, client_id: str, client_secret: str) -> None:
        """Accept only these credentials from now on (simulates a secret rotation)."""
        self.tokens.set_credentials(client_id, client_secret)

    def add_credentials(self, client_id: str, client_secret: str, role: str = "admin") -> None:
        """Accept another machine credential too (a second writer in the same organisation), with its
        organisation ``role`` (``admin``, ``moderator`` or ``member``; webhooks need moderator or admin)."""
        self.tokens.add_credentials(client_id, client_secret, role)

    def add_webhook(self, definition: dict[str, Any]) -> dict[str, Any]:
        """Create a webhook data source directly (test set-up), as ``POST /v1/webhooks`` would."""
        with self.store.lock:
            return self.store.webhooks.create(copy.deepcopy(definition))

    def webhook(self, identifier: str) -> dict[str, Any]:
        """The stored webhook data source."""
        with self.store.lock:
            return self.store.webhooks.get(identifier)

    def expire_tokens(self) -> None:
        """Expire every token issued so far."""
        self.tokens.expire_all()

    # ---- state ------------------------------------------------------------------------

    def add_blueprint(self, definition: dict[str, Any]) -> None:
        """Create a blueprint directly (raises ``ApiError`` when Port would refuse it)."""
        with self.store.lock:
            self.store.create_blueprint(copy.deepcopy(definition))

    def add_entity(
        self, blueprint: str, entity: dict[str, Any], *, create_missing: bool = True, actor: str = ACTOR
    ) -> None:
        """Upsert an entity directly, bypassing HTTP (for test set-up), as written by ``actor``."""
        with self.store.lock:
            self.store.actor = actor
            self.store.write_entity(blueprint, copy.deepcopy(entity), upsert=True, merge=False,
                                    create_missing=create_missing)  # fmt: skip

    def blueprints(self) -> dict[str, dict[str, Any]]:
        """Copies of the stored blueprints by identifier."""
        with self.store.lock:
            return copy.deepcopy(self.store.blueprints)

    def entities(self, blueprint: str) -> dict[str, dict[str, Any]]:
        """Copies of ``blueprint``'s entities by identifier (empty when the blueprint is unknown)."""
        with self.store.lock:
            if blueprint not in self.store.blueprints:
                return {}
            return {e["identifier"]: e for e in self.store.all_entities(blueprint)}

    def creation_count(self, blueprint: str, identifier: str) -> int:
        """How many times the entity was created (1 for an entity written exactly-once)."""
        with self.store.lock:
            return self.store.creations[(blueprint, identifier)]

    @property
    def requests(self) -> list[RecordedRequest]:
        """The recorded requests, oldest first (a copy; at most ``max_records`` are kept)."""
        with self._records_lock:
            return list(self._records)

    def request_count(
        self, method: str | None = None, path: str | None = None, status: int | None = None
    ) -> int:
        """Recorded requests matching ``method``, decoded ``path`` (exact, or a prefix when it ends
        in ``*``) and ``status``; None matches anything."""
        count = 0
        for rec in self.requests:
            if method is not None and rec.method != method:
                continue
            if path is not None and not (
                rec.path.startswith(path[:-1]) if path.endswith("*") else rec.path == path
            ):
                continue
            if status is not None and rec.status != status:
                continue
            count += 1
        return count

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        with self._records_lock:
            self._records.clear()

    # ---- serving ----------------------------------------------------------------------

    def serve_request(self, handler: BaseHTTPRequestHandler) -> None:
        """Answer one HTTP request (called by the server's handler threads)."""
        target = urlsplit(handler.path)
        segments = [unquote(s) for s in target.path.split("/")[1:]]
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(min(length, _MAX_READ)) if length > 0 else b""
        req = Request(
            method=handler.command,
            segments=segments,
            query=parse_qs(target.query, keep_blank_values=True),
            raw_body=raw,
            content_type=handler.headers.get("Content-Type", ""),
            authorization=handler.headers.get("Authorization"),
        )
        latency, fault = self._injector.draw(auth_route=segments == AUTH_SEGMENTS)
        if latency > 0:
            time.sleep(latency)
        headers, over_limit = self._window.take()
        if fault is not None:
            status, body = fault.status, {"ok": False, "error": fault.error, "message": fault.message}
            headers.update(fault.headers)
            if status == 429:
                headers["x-ratelimit-remaining"] = "0"
        elif over_limit:
            status, body = 429, {"ok": False, "error": "rate_limited", "message": "rate limit exceeded"}
            headers["Retry-After"] = str(self._window.seconds_to_reset())
        else:
            try:
                status, body = self._router.handle(req)
            except ApiError as exc:
                status, body = exc.status, exc.body()
        self._record(req, handler.path, status, body)
        payload = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(payload)))
        handler.send_header("X-Trace-Id", uuid.uuid4().hex)
        for name, value in headers.items():
            handler.send_header(name, value)
        if length > _MAX_READ:
            handler.send_header("Connection", "close")
            handler.close_connection = True
        handler.end_headers()
        handler.wfile.write(payload)

    def _record(self, req: Request, url: str, status: int, response: Any) -> None:
        body = req.body
        if body is None and req.raw_body:
            try:
                body = json.loads(req.raw_body)
            except ValueError:
                body = req.raw_body.decode(errors="replace")
        if isinstance(body, dict) and "clientSecret" in body:
            body = {**body, "clientSecret": "<redacted>"}
        authorized = req.authorization is not None
        record = RecordedRequest(req.method, url, "/" + "/".join(req.segments), req.query, body, status,
                                 response, authorized)  # fmt: skip
        with self._records_lock:
            self._records.append(record)

    @contextmanager
    def running(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[RunningPort]:
        """Serve in a background thread; stops when the block ends."""
        server = _Server((host, port), self)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        running = RunningPort(f"http://{host}:{server.server_port}", host, server.server_port)
        self.url = running.url
        try:
            yield running
        finally:
            server.shutdown()
            server.server_close()
            thread.join()
            self.url = None

    def serve(
        self, host: str = "127.0.0.1", port: int = 0, on_ready: Callable[[RunningPort], None] | None = None
    ) -> None:
        """Serve in the calling thread until interrupted (Ctrl-C)."""
        server = _Server((host, port), self)
        running = RunningPort(f"http://{host}:{server.server_port}", host, server.server_port)
        self.url = running.url
        if on_ready is not None:
            on_ready(running)
        try:
            server.serve_forever(poll_interval=0.2)
        finally:
            server.server_close()
            self.url = None
