"""jira-port: keep Port's software catalog in sync with Jira (Cloud and Server/Data Center)."""

__version__ = "0.1.0"
