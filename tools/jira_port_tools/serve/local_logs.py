"""Log context per thread in ``jira-port serve``, as each Lambda function has its own process.

Powertools keeps the keys a handler adds (``function_name``, ``correlation_id``, ...) in one dict on the
logger's formatter, shared by every thread. In Lambda that is right: one invocation at a time per
process. ``serve`` runs the webhook and the sync function in one process, on different threads, so the
webhook's correlation id would show on sync lines (and the other way round). ``per_thread_log_context``
gives every thread its own copy of those keys while the server runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from jira_port.observability import logger


class _PerThreadFormatter(LambdaPowertoolsFormatter):
    """The Powertools formatter with ``log_format`` (its appended keys) held per thread."""

    @property
    def log_format(self) -> dict[str, Any]:
        local: threading.local = self.__dict__["_jp_local"]
        value: dict[str, Any] | None = getattr(local, "value", None)
        if value is None:
            value = local.value = dict(self.__dict__["log_format"])  # the keys before the server started
        return value

    @log_format.setter
    def log_format(self, value: dict[str, Any]) -> None:
        self.__dict__["_jp_local"].value = value


def per_thread_log_context() -> Callable[[], None]:
    """Make the logger's appended keys per thread; returns the function that undoes it."""
    formatter = logger.registered_formatter
    if type(formatter) is not LambdaPowertoolsFormatter:
        return lambda: None  # a custom formatter: leave it alone
    formatter.__dict__["_jp_local"] = threading.local()
    formatter.__class__ = _PerThreadFormatter

    def restore() -> None:
        formatter.__class__ = LambdaPowertoolsFormatter
        formatter.__dict__.pop("_jp_local", None)

    return restore
