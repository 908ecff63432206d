"""The Jira client reads each body in one chunk (``BODY_CHUNK_BYTES``), with ``requests``' own errors: a large
body arrives whole, and a body cut short fails as ``requests`` reports it and leaves the pool usable."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from jira_port.jira.auth import CredentialsProvider, JiraCredentials
from jira_port.jira.http import JiraHTTP
from jira_port.transport import RetryPolicy

LARGE = {"issues": [{"key": f"A-{n}", "fields": {"summary": "x" * 900}} for n in range(3000)]}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps(LARGE).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.path.startswith("/cut"):
            self.wfile.write(body[:1000])  # then the connection closes: the body is cut short
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _http(base_url: str) -> JiraHTTP:
    credentials = CredentialsProvider(JiraCredentials.basic("a@example.com", "token"))
    return JiraHTTP(base_url, credentials, pool_size=2, timeout=5.0, retry_policy=RetryPolicy(max_attempts=1))


def test_a_body_larger_than_one_chunk_arrives_whole(server: str) -> None:
    http = _http(server)
    data, raw = http.request_raw("GET", "/rest/api/2/search/jql")
    assert len(raw) > 2 * 1024 * 1024 and data == LARGE and json.loads(raw) == LARGE


def test_a_body_cut_short_fails_as_requests_reports_it_and_the_pool_still_works(server: str) -> None:
    with pytest.raises(requests.RequestException) as plain:
        requests.get(server + "/cut", timeout=5).json()
    http = _http(server)
    with pytest.raises(requests.RequestException) as ours:
        http.request_raw("GET", "/cut")
    assert type(ours.value) is type(plain.value)
    assert http.request("GET", "/rest/api/2/search/jql") == LARGE
