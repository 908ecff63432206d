"""Shared fixtures of the live-path unit tests."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.support.aws import collect_logs, use_fake_aws


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a region for moto; no endpoint overrides from the outside."""
    use_fake_aws(monkeypatch)


@pytest.fixture
def log_records() -> Iterator[list[logging.LogRecord]]:
    """Every record the jira-port logger emits during the test."""
    with collect_logs() as records:
        yield records
