"""The Powertools singletons. Import these; never instantiate new Logger/Metrics/Tracer objects.

Library modules log through ``logger`` too: its output is structured JSON in Lambda and in the CLI.

X-Ray: the functions run with Lambda's Active tracing, which records each invocation without any SDK.
The X-Ray SDK's own subsegments (the handler, ``traced`` methods, and every AWS and HTTP call, patched)
are on only when ``TRACE_SDK_CALLS`` is true (template parameter ``TraceSdkCalls``): importing and
patching the SDK costs about a third of a cold start. ``tracer`` is built on first use only.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

    tracer: Tracer  # built on first access (``__getattr__``)

SERVICE = "jira-port"
NAMESPACE = "JiraPort"
TRACE_SDK_ENV = "TRACE_SDK_CALLS"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)


def sdk_tracing() -> bool:
    """Whether the X-Ray SDK records subsegments (``TRACE_SDK_CALLS``; off unless ``true``)."""
    return os.environ.get(TRACE_SDK_ENV, "").strip().lower() == "true"


@cache
def _tracer() -> Tracer:
    from aws_lambda_powertools import Tracer  # noqa: PLC0415 - imports and patches the X-Ray SDK

    return Tracer(service=SERVICE)


def traced[F: Callable[..., Any]](method: F) -> F:
    """``method`` in its own X-Ray subsegment when SDK tracing is on (its response is never recorded)."""
    if not sdk_tracing():
        return method
    return _tracer().capture_method(capture_response=False)(method)


def traced_handler[F: Callable[..., Any]](handler: F) -> F:
    """A Lambda handler in the X-Ray ``## handler`` subsegment when SDK tracing is on."""
    if not sdk_tracing():
        return handler
    return cast("F", _tracer().capture_lambda_handler(handler, capture_response=False))


def __getattr__(name: str) -> Any:
    if name == "tracer":  # the Powertools Tracer, for code that uses it directly (always on)
        return _tracer()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "NAMESPACE",
    "SERVICE",
    "TRACE_SDK_ENV",
    "MetricUnit",
    "logger",
    "metrics",
    "sdk_tracing",
    "traced",
    "traced_handler",
]
