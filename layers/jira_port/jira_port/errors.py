"""Exception roots shared by the whole package."""


class JiraPortError(Exception):
    """Base class of every error jira-port raises on purpose."""


class ConfigError(JiraPortError):
    """Configuration (environment, secrets, mapping) is missing or invalid. Never retried."""
