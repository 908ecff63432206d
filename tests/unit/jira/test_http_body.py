"""The Jira client reads each body whole: a large body arrives whole, and a body cut short is no answer at all
(the connection failed mid-way), which ``send`` retries like a refused connection, leaving the pool usable."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from jira_port.errors import is_transient
from jira_port.jira.credentials import CredentialsProvider, JiraCredentials
from jira_port.jira.errors import JiraUnavailableError
from jira_port.jira.http import JiraHTTP
from jira_port.transport import RetryPolicy
from tests.support.http_server import serving

LARGE = {"issues": [{"key": f"A-{n}", "fields": {"summary": "x" * 900}} for n in range(3000)]}


class _Handler(BaseHTTPRequestHandler):
    cut = 0  # bodies cut short so far

    def do_GET(self) -> None:
        body = json.dumps(LARGE).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.path.startswith("/cut"):
            _Handler.cut += 1
            self.wfile.write(body[:1000])  # then the connection closes: the body is cut short
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    with serving(_Handler) as url:
        yield url


def _http(base_url: str, attempts: int = 1) -> JiraHTTP:
    credentials = CredentialsProvider(JiraCredentials.basic("a@example.com", "token"))
    policy = RetryPolicy(max_attempts=attempts, base_delay=0.01)
    return JiraHTTP(base_url, credentials, pool_size=2, timeout=5.0, retry_policy=policy)


def test_a_body_larger_than_one_chunk_arrives_whole(server: str) -> None:
    http = _http(server)
    data, raw = http.request_raw("GET", "/rest/api/2/search/jql")
    assert len(raw) > 2 * 1024 * 1024 and data == LARGE and json.loads(raw) == LARGE


def test_a_body_cut_short_is_retried_as_no_answer_and_the_pool_still_works(server: str) -> None:
    http = _http(server, attempts=3)
    _Handler.cut = 0
    with pytest.raises(JiraUnavailableError, match=r"after 3 attempts: ProtocolError") as failed:
        http.request_raw("GET", "/cut")
    assert _Handler.cut == 3 and is_transient(failed.value)
    assert http.request("GET", "/rest/api/2/search/jql") == LARGE
