"""``Lazy``: built once, warmed in the init phase, released by ``close``."""

from __future__ import annotations

import logging

import pytest

from jira_port.errors import ConfigError
from jira_port.live.lazy import Lazy


class Resource:
    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


def built(lazy: Lazy[object]) -> bool:
    return lazy.built


class Recorder:
    """A build function that remembers what it built."""

    def __init__(self) -> None:
        self.built: list[Resource] = []

    def __call__(self) -> Resource:
        self.built.append(Resource())
        return self.built[-1]


def test_close_releases_the_built_value_once_and_the_next_call_builds_anew() -> None:
    build = Recorder()
    lazy = Lazy(build)
    first = lazy()
    assert lazy() is first
    assert built(lazy)
    lazy.close()
    lazy.close()
    assert first.closed == 1
    assert not built(lazy)
    assert lazy() is not first and len(build.built) == 2


def test_close_builds_nothing_and_tolerates_values_without_close() -> None:
    build = Recorder()
    never = Lazy(build)
    never.close()
    assert build.built == []
    plain = Lazy(lambda: 42)
    assert plain() == 42
    plain.close()
    assert not plain.built


def test_warm_builds_now() -> None:
    lazy = Lazy(Resource)
    assert lazy.warm() and lazy.built


def test_warm_logs_a_configuration_error_and_the_first_call_raises_it(
    log_records: list[logging.LogRecord],
) -> None:
    attempts: list[int] = []

    def build() -> Resource:
        attempts.append(1)
        raise ConfigError("QUEUE_URL is not set")

    lazy = Lazy(build)
    assert lazy.warm() is False and not lazy.built
    assert any(r.levelno == logging.ERROR and "init" in r.getMessage() for r in log_records)
    with pytest.raises(ConfigError, match="QUEUE_URL"):
        lazy()
    assert len(attempts) == 2


def test_warm_survives_unexpected_errors(log_records: list[logging.LogRecord]) -> None:
    def build() -> Resource:
        raise RuntimeError("boom")

    lazy = Lazy(build)
    assert lazy.warm() is False
    assert any(r.exc_info for r in log_records)
