"""The demo's local world: generated credentials, the process environment it runs under, quiet logs.

Everything here is undone on exit: variables are restored exactly (set, changed or removed), and log
levels and streams are put back.
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

# Variables the demo owns for its duration: anything the user exported for a real site must not leak
# into the run (a JIRA_JQL, a PORT_CREDENTIALS_SECRET_ARN, a STATE_TABLE would change what it does).
OWNED_PREFIXES = ("JIRA_", "PORT_", "WEBHOOK_", "MAPPING_", "BACKFILL_", "AWS_ENDPOINT_URL")
OWNED_NAMES = frozenset(
    {
        "STATE_TABLE",
        "QUEUE_URL",
        "PAYLOAD_BUCKET",
        "MAX_BODY_BYTES",
        "MAX_MESSAGE_BYTES",
        "GUARD_TTL_DAYS",
        "AWS_LAMBDA_FUNCTION_NAME",
        "POWERTOOLS_METRICS_DISABLED",
    }
)
# Where the handlers live is a property of the installation, not of a Jira site: keep it.
KEPT = frozenset({"JIRA_PORT_FUNCTIONS_DIR"})


@dataclass(frozen=True)
class Credentials:
    """Fresh credentials for one run: nothing well-known is accepted by the local sites."""

    flavour: str
    jira_login: str
    jira_secret: str  # Cloud API token; Data Center password
    jira_pat: str
    port_client_id: str
    port_client_secret: str
    webhook_secret: str

    @classmethod
    def generate(cls, flavour: str) -> Credentials:
        """Random secrets; the Jira login is ``demo@example.com`` (Cloud) or ``demo`` (Data Center)."""
        return cls(
            flavour=flavour,
            jira_login="demo@example.com" if flavour == "cloud" else "demo",
            jira_secret=secrets.token_urlsafe(18),
            jira_pat=secrets.token_urlsafe(24),
            port_client_id="jira-port-demo",
            port_client_secret=secrets.token_urlsafe(24),
            webhook_secret=secrets.token_hex(32),
        )

    def __repr__(self) -> str:
        return f"Credentials(flavour={self.flavour!r}, jira_login={self.jira_login!r})"

    def environment(self, jira_url: str, port_url: str) -> dict[str, str]:
        """The variables every part reads (backfill, ``jira-port serve``, the CLI)."""
        env = {
            "JIRA_BASE_URL": jira_url,
            "PORT_API_URL": port_url,
            "PORT_CLIENT_ID": self.port_client_id,
            "PORT_CLIENT_SECRET": self.port_client_secret,
            "WEBHOOK_SECRET": self.webhook_secret,
            "WEBHOOK_REQUIRE_SIGNATURE": "true",
            # The handlers' embedded metrics would print JSON on stdout (CloudWatch reads it in Lambda).
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
        if self.flavour == "cloud":
            env.update(JIRA_EMAIL=self.jira_login, JIRA_API_TOKEN=self.jira_secret)
        else:
            env["JIRA_PAT"] = self.jira_pat
        return env


def owned(name: str) -> bool:
    """Whether the demo replaces ``name`` for its duration."""
    return name not in KEPT and (name in OWNED_NAMES or name.startswith(OWNED_PREFIXES))


@contextmanager
def scoped_environ(values: Mapping[str, str]) -> Iterator[None]:
    """Run with exactly ``values`` among the owned variables; restore ``os.environ`` afterwards."""
    saved = {name: value for name, value in os.environ.items() if owned(name) or name in values}
    try:
        for name in saved:
            del os.environ[name]
        os.environ.update(values)
        yield
    finally:
        for name in [n for n in os.environ if owned(n) or n in values]:
            del os.environ[name]
        os.environ.update(saved)


@contextmanager
def quiet_logs(verbose: bool = False) -> Iterator[None]:
    """Keep stdout for the demo: jira-port's logs go to stderr, warnings and errors only (all with
    ``verbose``); restore level and streams afterwards."""
    from jira_port.observability import logger

    level = logger.log_level
    streams = [
        (handler, handler.stream)
        for handler in logger.handlers
        if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout
    ]
    werkzeug = logging.getLogger("werkzeug")
    werkzeug_level = werkzeug.level
    try:
        for handler, _ in streams:
            handler.setStream(sys.stderr)
        logger.setLevel(logging.INFO if verbose else logging.WARNING)
        werkzeug.setLevel(logging.WARNING)
        with warnings.catch_warnings():
            # Powertools warns on every handler invocation that published no metric.
            warnings.filterwarnings("ignore", message="No application metrics to publish")
            yield
    finally:
        for handler, stream in streams:
            handler.setStream(stream)
        logger.setLevel(level)
        werkzeug.setLevel(werkzeug_level)
