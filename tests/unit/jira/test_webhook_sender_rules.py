"""Webhook signing (Atlassian's published test vector) and Jira's retry rules."""

from __future__ import annotations

import pytest

from jira_port_emulators.jira.sender import MAX_RETRIES, WebhookSender, should_retry, sign


def test_signature_matches_atlassians_test_vector() -> None:
    assert sign("It's a Secret to Everybody", b"Hello World!") == (
        "sha256=a4771c39fbe90f317c7824e83ddef3caae9cb3d976c214ace1f2937e133263c9"
    )


@pytest.mark.parametrize("status", [None, 408, 409, 425, 429, 500, 502, 503, 504, 599])
def test_retried(status: int | None) -> None:
    assert should_retry(status)


@pytest.mark.parametrize("status", [200, 202, 204, 301, 400, 401, 403, 404, 410, 413, 422])
def test_not_retried(status: int) -> None:
    assert not should_retry(status)


def test_at_most_five_retries_and_http_urls_only() -> None:
    assert MAX_RETRIES == 5
    with pytest.raises(ValueError, match="max_retries"):
        WebhookSender("http://127.0.0.1:9/x", max_retries=6)
    with pytest.raises(ValueError, match="http"):
        WebhookSender("ftp://example.com/x")
