"""The HTTP front door of ``jira-port serve``: framing like API Gateway's, request lines without secrets.

Framing (RFC 9112 section 6): a body comes with ``Content-Length`` (one value, digits only) or with
``Transfer-Encoding: chunked``, never both (a request smuggling pattern: 400). Malformed or negative
lengths, bad chunks and bodies that end early get 400, a body over API Gateway's 10 MB limit 413
(``Content-Length`` is checked before anything is read), another transfer coding 501, and a client
that stops sending for ``READ_TIMEOUT_SECONDS`` 408. Connections with a framing error are closed.

The request line is logged at DEBUG with the URL token replaced (``/webhook/<redacted>``,
``token=<redacted>``): the token authenticates deliveries and must never reach a log.
"""

from __future__ import annotations

import base64
import json
import re
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from jira_port.live.queue import TOKEN_PARAM
from jira_port.observability import logger
from jira_port_tools.serve.lambda_events import http_api_event

if TYPE_CHECKING:
    from jira_port_tools.serve.local_server import LocalServer

API_GATEWAY_MAX_BODY = 10 * 1024 * 1024
READ_TIMEOUT_SECONDS = 30
_TOKEN_ROUTE = re.compile(r"^/webhook/([^/]+)$")
_TOKEN_IN_PATH = re.compile(r"(/webhook/)[^\s?#'\"/]+")
_TOKEN_IN_QUERY = re.compile(rf"([?&]{TOKEN_PARAM}=)[^\s&#'\"]*")
_DIGITS = re.compile(r"[0-9]+")
_CHUNK_SIZE = re.compile(r"([0-9A-Fa-f]{1,8})(?:;.*)?")


class FramingError(Exception):
    """The request's body cannot be read: answer ``status`` and close the connection."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def redact(text: str) -> str:
    """``text`` (a request line or a message quoting one) with URL tokens replaced."""
    return _TOKEN_IN_QUERY.sub(r"\1<redacted>", _TOKEN_IN_PATH.sub(r"\1<redacted>", text))


class LocalHandler(BaseHTTPRequestHandler):
    """Routes ``POST /webhook`` and ``/webhook/{token}`` to the webhook handler; ``/_local/status``."""

    protocol_version = "HTTP/1.1"
    server_version = "jira-port-serve"
    timeout = READ_TIMEOUT_SECONDS  # socket timeout of every read (StreamRequestHandler)

    def do_POST(self) -> None:
        self._route()

    do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("http", extra={"request": redact(format % args)})

    def _route(self) -> None:
        owner: LocalServer = self.server.owner  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        try:
            body = self._body()
        except FramingError as exc:
            self.close_connection = True
            self._send(exc.status, {"message": str(exc)})
            return
        if self.command == "GET" and parts.path == "/_local/status":
            self._send(200, owner.status())
            return
        match = _TOKEN_ROUTE.match(parts.path)
        if self.command != "POST" or (parts.path != "/webhook" and match is None):
            self._send(404, {"message": "Not Found"})
            return
        event = http_api_event(
            method="POST",
            path=parts.path,
            query_string=parts.query,
            headers=list(self.headers.items()),
            body=body,
            route_key="POST /webhook/{token}" if match else "POST /webhook",
            path_parameters={"token": unquote(match.group(1))} if match else None,
            source_ip=self.client_address[0],
        )
        result = owner.invoke_webhook(event)
        payload = result.get("body") or ""
        raw = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode("utf-8")
        self.send_response(int(result.get("statusCode", 200)))
        for name, value in (result.get("headers") or {}).items():
            self.send_header(name, str(value))
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _body(self) -> bytes:
        encodings = [
            v.strip().lower() for v in ",".join(self.headers.get_all("Transfer-Encoding") or []).split(",")
        ]
        encodings = [e for e in encodings if e]
        lengths = self.headers.get_all("Content-Length") or []
        if encodings and lengths:
            raise FramingError(400, "both Transfer-Encoding and Content-Length")
        if encodings:
            if encodings != ["chunked"]:
                raise FramingError(501, "unsupported Transfer-Encoding")
            return self._read_timed(self._chunked)
        if not lengths:
            return b""
        values = {v.strip() for length in lengths for v in length.split(",")}
        if len(values) != 1 or not _DIGITS.fullmatch(next(iter(values))):
            raise FramingError(400, "invalid Content-Length")
        length = int(next(iter(values)))
        if length > API_GATEWAY_MAX_BODY:
            raise FramingError(413, "Request Entity Too Large")
        return self._read_timed(lambda: self._exactly(length))

    def _read_timed(self, read: Any) -> bytes:
        try:
            data: bytes = read()
        except TimeoutError:
            raise FramingError(408, "Request Timeout") from None
        return data

    def _exactly(self, length: int) -> bytes:
        data = self.rfile.read(length) if length else b""
        if len(data) != length:
            raise FramingError(400, "body shorter than Content-Length")
        return data

    def _chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            match = _CHUNK_SIZE.fullmatch(line.strip().decode("latin-1"))
            if match is None:
                raise FramingError(400, "invalid chunk size")
            size = int(match.group(1), 16)
            if size == 0:
                break
            total += size
            if total > API_GATEWAY_MAX_BODY:
                raise FramingError(413, "Request Entity Too Large")
            chunks.append(self._exactly(size))
            if self.rfile.readline(3) not in (b"\r\n", b"\n"):
                raise FramingError(400, "chunk not followed by CRLF")
        while self.rfile.readline(8192).strip():  # trailer fields: read and ignored
            pass
        return b"".join(chunks)

    def _send(self, status: int, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(raw)
