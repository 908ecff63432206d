"""Which settings models each function loads, and which variables its deployment must set.

Declared once here; ``test_environment.py`` checks the template against it and ``test_permissions.py``
checks it against the models the handlers really load while they run.
"""

from __future__ import annotations

import importlib

from jira_port.settings.common import EnvModel

# function -> the settings models its code loads (module:class under jira_port.settings)
FUNCTION_SETTINGS: dict[str, tuple[str, ...]] = {
    # the mapping loads on its own thread, compiled for the site (LiveSiteSettings: JIRA_BASE_URL)
    "WebhookFunction": ("live:WebhookSettings", "live:LiveSiteSettings", "mapping:MappingSettings"),
    "SyncFunction": ("live:SyncSettings", "live:LiveSiteSettings", "mapping:MappingSettings"),
    "BackfillFunction": (
        "port:PortSettings",
        "jira:JiraSettings",
        "mapping:MappingSettings",
        "backfill:BackfillSettings",
    ),
}
# Optional in the models (the CLI runs without them) but needed by the deployed function.
LAMBDA_REQUIRED: dict[str, set[str]] = {
    "WebhookFunction": {"QUEUE_URL", "PAYLOAD_BUCKET", "WEBHOOK_SECRET_ARN", "JIRA_BASE_URL"},
    "SyncFunction": {
        "STATE_TABLE",
        "PAYLOAD_BUCKET",
        "PORT_API_URL",
        "PORT_CREDENTIALS_SECRET_ARN",
        "JIRA_BASE_URL",
    },
    "BackfillFunction": {
        "STATE_TABLE",
        "PORT_API_URL",
        "PORT_CREDENTIALS_SECRET_ARN",
        "JIRA_BASE_URL",
        "JIRA_CREDENTIALS_SECRET_ARN",
    },
}


def settings_class(ref: str) -> type[EnvModel]:
    """Import ``module:Class`` from ``jira_port.settings``."""
    module, _, name = ref.partition(":")
    cls = getattr(importlib.import_module(f"jira_port.settings.{module}"), name)
    assert isinstance(cls, type) and issubclass(cls, EnvModel), ref
    return cls
