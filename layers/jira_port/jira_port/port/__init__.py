"""Port API client and ``apply_actions``, the one write step.

Modules: ``client`` (``PortClient``: one authenticated, retried call, the token cache, entity calls),
``credentials`` (where the client id and secret come from), ``writes`` (Port's single and bulk write
rules), ``types`` (``Action``, errors and results), ``apply`` (actions → Port, for live events and the
backfill alike, and the deletes a moved issue implies).

``PortClient`` is imported on first use: the mapping needs only ``types`` (``Action``), and the webhook
function must not load ``requests`` for it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jira_port.port.client import PortClient
    from jira_port.port.types import BulkResult, EntityFailure, PortAPIError, PortAuthError, PortStats

_EXPORTS = {
    "BulkResult": "types",
    "EntityFailure": "types",
    "PortAPIError": "types",
    "PortAuthError": "types",
    "PortClient": "client",
    "PortStats": "types",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f"jira_port.port.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["BulkResult", "EntityFailure", "PortAPIError", "PortAuthError", "PortClient", "PortStats"]
