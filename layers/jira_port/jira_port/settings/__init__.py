"""Settings read from the environment, one module per area (port, jira, live, mapping, backfill)."""

from jira_port.settings.common import EnvModel, SecretStr, env

__all__ = ["EnvModel", "SecretStr", "env"]
