"""The shared retry loop: server hints, bounded attempts, and what is never retried."""

from __future__ import annotations

import email.utils

import pytest
from urllib3 import HTTPHeaderDict
from urllib3.exceptions import ProtocolError

from jira_port.transport import Attempts, HttpResponse, RetriesExhaustedError, RetryPolicy, send, server_delay


def _response(status: int, headers: dict[str, str] | None = None) -> HttpResponse:
    return HttpResponse(status, HTTPHeaderDict(headers or {}), b"")


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

    def once() -> HttpResponse:
        calls.append(1)
        return _response(status)

    assert send(once, RetryPolicy(), sleep=lambda s: None).status_code == status
    assert len(calls) == 1


def test_send_is_bounded_and_returns_last_retryable_response() -> None:
    calls = []

    def always_500() -> HttpResponse:
        calls.append(1)
        return _response(500)

    assert send(always_500, RetryPolicy(max_attempts=4), sleep=lambda s: None).status_code == 500
    assert len(calls) == 4


def test_send_raises_after_only_connection_errors() -> None:
    def boom() -> HttpResponse:
        raise ProtocolError("refused")

    with pytest.raises(RetriesExhaustedError, match="ProtocolError"):
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
