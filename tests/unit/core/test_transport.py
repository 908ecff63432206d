"""The shared retry loop: server hints, bounded attempts, and what is never retried; the pooled session
reads the environment (proxies, CA bundle) once, when it is made."""

from __future__ import annotations

import email.utils
import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import requests

from jira_port.transport import Attempts, RetriesExhaustedError, RetryPolicy, new_session, send, server_delay


def _response(status: int, headers: dict[str, str] | None = None) -> requests.Response:
    r = requests.Response()
    r.status_code = status
    r.raw = io.BytesIO(b"")
    r.headers.update(headers or {})
    return r


def test_retry_after_seconds_and_http_date() -> None:
    now = 1_700_000_000.0
    assert server_delay({"Retry-After": "7"}, now) == 7
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert server_delay({"retry-after": date}, now) == pytest.approx(30, abs=1)


def test_ratelimit_reset_seconds_epoch_and_iso() -> None:
    now = 1_700_000_000.0
    assert server_delay({"x-ratelimit-reset": "120"}, now) == 120
    assert server_delay({"X-RateLimit-Reset": str(int(now) + 42)}, now) == 42
    assert server_delay({"X-RateLimit-Reset": "2023-11-14T22:14:00Z"}, now) == pytest.approx(
        1_700_000_040.0 - now
    )
    assert server_delay({"x-ratelimit-reset": "garbage"}, now) is None
    assert server_delay({}, now) is None


def test_past_reset_means_no_wait() -> None:
    assert server_delay({"x-ratelimit-reset": "1600000000"}, 1_700_000_000.0) == 0


def test_send_retries_retryable_statuses_honouring_hints() -> None:
    answers = [_response(429, {"Retry-After": "3"}), _response(503), _response(201)]
    slept: list[float] = []
    stats = Attempts()
    result = send(lambda: answers.pop(0), RetryPolicy(base_delay=0.1), sleep=slept.append, attempts=stats)
    assert result.status_code == 201
    assert stats.tries == 3 and stats.throttled == 1 and stats.server_errors == 1
    assert 3 <= slept[0] <= 3.2  # the hint, plus at most the jitter
    assert slept[1] <= 0.2  # backoff for attempt 2 with base 0.1


@pytest.mark.parametrize("status", [400, 401, 404, 409, 413, 422])
def test_send_never_retries_other_client_errors(status: int) -> None:
    calls = []

    def once() -> requests.Response:
        calls.append(1)
        return _response(status)

    assert send(once, RetryPolicy(), sleep=lambda s: None).status_code == status
    assert len(calls) == 1


def test_send_is_bounded_and_returns_last_retryable_response() -> None:
    calls = []

    def always_500() -> requests.Response:
        calls.append(1)
        return _response(500)

    assert send(always_500, RetryPolicy(max_attempts=4), sleep=lambda s: None).status_code == 500
    assert len(calls) == 4


def test_send_raises_after_only_connection_errors() -> None:
    def boom() -> requests.Response:
        raise requests.ConnectionError("refused")

    with pytest.raises(RetriesExhaustedError, match="ConnectionError"):
        send(boom, RetryPolicy(max_attempts=3), sleep=lambda s: None)


def test_server_hint_is_capped() -> None:
    policy = RetryPolicy(max_server_delay=5.0, base_delay=0.0)
    assert policy.delay(1, {"Retry-After": "3600"}) == 5.0


def test_ratelimit_reset_only_counts_for_429() -> None:
    # Port sends x-ratelimit-reset on every answer: a 503 must back off, not wait for the window.
    policy = RetryPolicy(base_delay=0.0, max_server_delay=300.0)
    headers = {"x-ratelimit-reset": "250"}
    assert policy.delay(1, headers, 503) == 0.0
    assert policy.delay(1, headers, 429) == 250.0
    assert policy.delay(1, {"Retry-After": "2", **headers}, 503) == 2.0


class _Recorder(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str | None]]] = []

    def do_GET(self) -> None:
        self.seen.append((self.requestline, self.headers.get("Authorization")))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    _Recorder.seen.clear()
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_session_reads_proxies_and_ca_bundle_from_the_environment_once(
    recorder: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://{recorder}")
    monkeypatch.setenv("NO_PROXY", "internal.example")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/bundle.pem")
    monkeypatch.setenv("HOME", str(tmp_path))  # a .netrc entry for the host must not replace our header
    (tmp_path / ".netrc").write_text("machine jira.example login someone password other\n")
    session = new_session(2, "http://jira.example")
    assert session.verify == "/etc/ssl/bundle.pem"
    assert "http" not in new_session(2, "http://jira.internal.example").proxies
    monkeypatch.delenv("HTTP_PROXY")  # read when the session was made, not per call
    assert session.get("http://jira.example/rest", headers={"Authorization": "Bearer t"}).status_code == 204
    assert _Recorder.seen == [("GET http://jira.example/rest HTTP/1.1", "Bearer t")]
