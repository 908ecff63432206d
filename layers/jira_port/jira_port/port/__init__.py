"""Port API client and ``apply_actions``, the one write step.

Modules: ``client`` (``PortClient``: one authenticated, retried call, the token cache, entity calls),
``credentials`` (where the client id and secret come from; the request that obtains a token), ``writes``
(Port's single and bulk write rules), ``types`` (``Action``, errors and results), ``apply`` (actions → Port,
for live events and the backfill alike, and the deletes a moved issue implies).

``PortClient`` is imported on first use: the mapping needs only ``types`` (``Action``), and the webhook
function must not load the HTTP client for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jira_port import lazy_exports

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

__getattr__ = lazy_exports(__name__, _EXPORTS)


__all__ = ["BulkResult", "EntityFailure", "PortAPIError", "PortAuthError", "PortClient", "PortStats"]
