"""HTTP plumbing of the emulator: request parsing, auth, fault injection, routing, JSON answers."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from jira_port_emulators.jira.accounts import Account, authenticate

if TYPE_CHECKING:
    from jira_port_emulators.jira.emulator import JiraEmulator

MAX_BODY = 10 * 1024 * 1024


class ApiError(Exception):
    """An error answer in Jira's ErrorCollection shape."""

    def __init__(
        self,
        status: int,
        *messages: str,
        errors: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status, messages)
        self.status = status
        self.messages = list(messages)
        self.errors = errors or {}
        self.headers = headers or {}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes
    match: re.Match[str]
    account: Account | None = None
    _json: Any = field(default=None, repr=False)

    def json(self) -> Any:
        """The JSON body (400 like Jira when it is not JSON)."""
        if self._json is None:
            if not self.body:
                raise ApiError(400, "No content to map due to end-of-input")
            try:
                self._json = json.loads(self.body)
            except ValueError:
                raise ApiError(
                    400, "Unexpected character in the request body: it is not valid JSON."
                ) from None
        return self._json

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def args(self, name: str) -> list[str]:
        """Repeated and comma-separated values of a query parameter."""
        return [v.strip() for raw in self.query.get(name, []) for v in raw.split(",") if v.strip()]

    def int_arg(self, name: str, default: int) -> int:
        raw = self.arg(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise ApiError(400, f"The '{name}' parameter must be an integer.") from None


Handler = Callable[["JiraEmulator", Request], tuple[int, Any]]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    anonymous: bool = False
    faults: bool = True


def route(method: str, path: str, handler: Handler, *, anonymous: bool = False, faults: bool = True) -> Route:
    """A route; ``path`` is a regex (``{v}`` matches the REST version 2 or 3, ``latest``)."""
    pattern = "^" + path.replace("{v}", r"(?P<v>2|3|latest)") + "$"
    return Route(method, re.compile(pattern), handler, anonymous, faults)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging."""

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        emu = self.server.emulator
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(413, {"errorMessages": ["Request entity too large"], "errors": {}}, {})
            self.close_connection = True
            return
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        try:
            status, payload, headers = self._dispatch(emu, method, parts.path, query, body)
        except ApiError as exc:
            status, headers = exc.status, exc.headers
            payload = {"errorMessages": exc.messages, "errors": exc.errors}
        except Exception as exc:  # a bug in a route must answer 500, not kill the thread
            status, headers = 500, {}
            payload = {"errorMessages": [f"Internal server error: {type(exc).__name__}: {exc}"], "errors": {}}
        self._send(status, payload, headers)

    def _dispatch(
        self, emu: JiraEmulator, method: str, path: str, query: dict[str, list[str]], body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        path = path.rstrip("/") or "/"
        found = None
        allowed = False
        for candidate in self.server.routes:
            match = candidate.pattern.match(path)
            if match is None:
                continue
            allowed = True
            if candidate.method == method:
                found = (candidate, match)
                break
        if found is None:
            if allowed:
                raise ApiError(405, "Method Not Allowed")
            raise ApiError(404, "null for uri: " + path)
        target, match = found
        request = Request(method, path, query, self.headers, body, match)
        if target.faults:
            emu.count_request(target.pattern.pattern)
            if emu.faults.latency > 0:
                time.sleep(emu.faults.latency)
        request.account = authenticate(self.headers.get("Authorization"), emu.accounts, emu.flavour)
        if request.account is None and not target.anonymous:
            headers = {"WWW-Authenticate": 'Basic realm="protected-area"'}
            if emu.flavour == "server":
                headers["X-Seraph-LoginReason"] = "AUTHENTICATED_FAILED"
            message = "You are not authenticated. Authentication required to perform this operation."
            raise ApiError(401, message, headers=headers)
        if target.faults and emu.faults.should_throttle():
            raise _throttled(emu)
        status, payload = target.handler(emu, request)
        return status, payload, {}

    def _send(self, status: int, payload: Any, headers: dict[str, str]) -> None:
        data = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if data:
            self.wfile.write(data)


def _throttled(emu: JiraEmulator) -> ApiError:
    wait = emu.faults.retry_after
    reset = datetime.now(UTC) + timedelta(seconds=wait)
    headers = {
        "Retry-After": f"{wait:g}",
        "X-RateLimit-Limit": "100",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "RateLimit-Reason": emu.faults.reason,
    }
    if emu.flavour == "server":
        headers.update({"X-RateLimit-Interval-Seconds": "1", "X-RateLimit-FillRate": "100"})
    return ApiError(429, "Rate limit exceeded.", headers=headers)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    emulator: JiraEmulator
    routes: list[Route]


def make_server(emu: JiraEmulator, host: str, port: int) -> ThreadingHTTPServer:
    """A threading HTTP server bound to ``host:port`` serving ``emu``."""
    from jira_port_emulators.jira.routes import all_routes

    server = _Server((host, port), _Handler)
    server.emulator = emu
    server.routes = all_routes(emu)
    return server
