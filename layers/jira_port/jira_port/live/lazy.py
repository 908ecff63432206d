"""``Lazy``: a value built once per container, on first use or in the init phase, and released on demand."""

from __future__ import annotations

import threading
from collections.abc import Callable

from jira_port.errors import ConfigError
from jira_port.observability import logger


class Lazy[T]:
    """A value built on first use, once, even when several threads ask at the same time."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: T | None = None
        self._lock = threading.Lock()

    def __call__(self) -> T:
        value = self._value
        if value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._build()
                value = self._value
        return value

    @property
    def built(self) -> bool:
        """Whether the value exists now."""
        return self._value is not None

    def warm(self) -> bool:
        """Build now (a handler's init phase, which Lambda runs before the first request; with provisioned
        concurrency or SnapStart, before any request). A failure is logged and returns False: the first
        call builds again and raises it where the handler reports it."""
        try:
            self()
        except ConfigError as exc:
            logger.error(
                "not configured at init; the first invocation will try again", extra={"error": str(exc)}
            )
            return False
        except Exception:
            logger.exception("init failed; the first invocation will try again")
            return False
        return True

    def reset(self) -> None:
        """Forget the value (the next call builds a new one)."""
        with self._lock:
            self._value = None

    def close(self) -> None:
        """Forget the value, first releasing it (its ``close()``, when it has one) if it was built."""
        with self._lock:
            value, self._value = self._value, None
        close = getattr(value, "close", None)
        if callable(close):
            close()
