"""``HttpSession``, the urllib3 session both API clients send on: what it keeps of ``requests``' behaviour
(environment proxies, gzip, query encoding) and what it does stricter (a redirect comes back unfollowed, and
the client reports it)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from jira_port.jira.credentials import CredentialsProvider, JiraCredentials
from jira_port.jira.errors import JiraAPIError
from jira_port.jira.http import JiraHTTP
from jira_port.transport import HttpSession, RetryPolicy
from tests.support.http_server import serving

SEEN: list[tuple[str, dict[str, str]]] = []  # request line target and headers, per request


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        SEEN.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        if "/moved" in self.path:
            self._answer(301, b"", {"Location": "https://jira.example.com/rest/api/2/myself"})
        elif "gzip" in self.headers.get("Accept-Encoding", ""):
            self._answer(
                200, gzip.compress(json.dumps({"path": self.path}).encode()), {"Content-Encoding": "gzip"}
            )
        else:
            self._answer(200, json.dumps({"path": self.path}).encode(), {})

    def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    SEEN.clear()
    with serving(_Handler) as url:
        yield url


def test_gzip_is_asked_for_and_decoded_and_none_params_are_left_out(server: str) -> None:
    session = HttpSession(2)
    answer = session.request("GET", f"{server}/a", params={"jql": "project = A", "x": None, "f": ["k", "s"]})
    assert answer.status_code == 200 and answer.json() == {"path": "/a?jql=project+%3D+A&f=k&f=s"}
    assert "gzip" in SEEN[0][1]["accept-encoding"] and SEEN[0][1]["user-agent"].startswith("jira-port/")


def test_an_environment_proxy_is_used_unless_no_proxy_names_the_host(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the test server plays the proxy: a proxied request names the whole URL in its request line
    monkeypatch.setenv("HTTP_PROXY", server)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    HttpSession(2).request("GET", "http://jira.internal.example/rest/api/2/myself")
    assert SEEN[-1][0] == "http://jira.internal.example/rest/api/2/myself"
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    HttpSession(2).request("GET", f"{server}/direct")
    assert SEEN[-1][0] == "/direct"


def test_a_redirect_is_not_followed_and_jira_names_where_it_leads(server: str) -> None:
    assert HttpSession(2).request("GET", f"{server}/moved").status_code == 301
    credentials = CredentialsProvider(JiraCredentials.basic("a@example.com", "token"))
    http = JiraHTTP(server, credentials, pool_size=2, timeout=5.0, retry_policy=RetryPolicy(max_attempts=1))
    with pytest.raises(
        JiraAPIError, match=r"redirected to https://jira\.example\.com/.*JIRA_BASE_URL"
    ) as moved:
        http.request("GET", "/moved")
    assert moved.value.status == 301 and len(SEEN) == 2  # nothing was sent to the new address


def test_a_netrc_entry_never_replaces_the_authorization_a_call_carries(
    server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # ``requests`` read ~/.netrc on every call and let an entry for the host override the header
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".netrc").write_text("machine 127.0.0.1 login someone password other\n", encoding="utf-8")
    HttpSession(2).request("GET", f"{server}/me", headers={"Authorization": "Bearer t"})
    assert SEEN[-1][1]["authorization"] == "Bearer t"
