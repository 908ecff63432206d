"""``jira-port doctor``: check configuration, credentials, connectivity, blueprints and the mapping."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from jira_port_tools.cli._common import SubParsers

if TYPE_CHECKING:
    from jira_port.jira import JiraClient
    from jira_port.mapping import CompiledMapping
    from jira_port.port import PortClient

Status = Literal["ok", "warn", "fail", "skip"]
_MARK: dict[Status, str] = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL", "skip": "skip"}


@dataclass(slots=True)
class Check:
    """One line of the report: what was checked, how it went, and what to do about it."""

    name: str
    status: Status
    detail: str
    hint: str = ""


@dataclass(slots=True)
class Report:
    """The checks in the order they ran."""

    checks: list[Check] = field(default_factory=list)

    def add(self, name: str, status: Status, detail: str, hint: str = "") -> None:
        """Record one check."""
        self.checks.append(Check(name, status, detail, hint))

    @property
    def failed(self) -> bool:
        """True when any check failed."""
        return any(c.status == "fail" for c in self.checks)

    def render(self) -> str:
        """Human-readable lines with the next steps indented under failing or warning checks."""
        lines = []
        for c in self.checks:
            lines.append(f"[{_MARK[c.status]}] {c.name}: {c.detail}")
            if c.hint and c.status in {"fail", "warn"}:
                lines.append(f"       -> {c.hint}")
        failures = sum(c.status == "fail" for c in self.checks)
        warnings = sum(c.status == "warn" for c in self.checks)
        clean = not failures and not warnings
        lines.append("all checks passed" if clean else f"{failures} failed, {warnings} warnings")
        return "\n".join(lines)


def _attempt[T](report: Report, name: str, hint: str, check: Callable[[], T]) -> T | None:
    """Run ``check``; any exception becomes a failed line (our errors never carry secrets)."""
    try:
        return check()
    except Exception as exc:  # a diagnostic tool reports every failure and goes on
        report.add(name, "fail", f"{type(exc).__name__}: {exc}", hint)
        return None


def check_mapping(report: Report) -> CompiledMapping | None:
    """The configured mapping compiles."""
    from jira_port.settings.mapping import MappingSettings, load_configured_mapping

    def check() -> CompiledMapping:
        settings = MappingSettings.from_env()
        mapping = load_configured_mapping(settings)
        blueprints = ", ".join(sorted(mapping.blueprints)) or "none"
        report.add("mapping", "ok", f"{settings.description} compiles; writes blueprints {blueprints}")
        return mapping

    return _attempt(report, "mapping", "fix the mapping; `jira-port map EVENT.json` shows its output", check)


def check_jira(report: Report) -> JiraClient | None:
    """Jira settings, reachability, authentication and the admin permission webhooks need."""
    from jira_port.jira import JiraClient

    client = _attempt(
        report,
        "jira config",
        "set JIRA_BASE_URL and credentials: JIRA_EMAIL + JIRA_API_TOKEN (Cloud), JIRA_PAT (Data Center) "
        "or JIRA_USERNAME + JIRA_PASSWORD",
        JiraClient.from_env,
    )
    if client is None:
        return None
    report.add("jira config", "ok", f"base URL {client.base_url}")
    jira = client

    def reachable() -> None:
        info = jira.server_info()
        kind = f"{info.get('deploymentType', '?')} {info.get('version', '')}".strip()
        report.add("jira reachable", "ok", f"{kind} ({jira.deployment})")

    def credentials() -> None:
        me = jira.myself()
        who = me.get("displayName") or me.get("name") or me.get("accountId") or "?"
        report.add("jira credentials", "ok", f"authenticated as {who}")
        admin = jira.has_permission("ADMINISTER")
        if admin is False:
            report.add(
                "jira admin",
                "warn",
                "the user lacks the Administer Jira global permission",
                "`jira-port register-webhook` needs it; the backfill does not",
            )
        else:
            detail = "can register webhooks" if admin else "unknown"
            report.add("jira admin", "ok" if admin else "skip", detail)

    _attempt(report, "jira reachable", "check JIRA_BASE_URL and network access to Jira", reachable)
    _attempt(report, "jira credentials", "check the Jira credentials (expired? wrong user?)", credentials)
    return client


def check_port(report: Report, mapping: CompiledMapping | None) -> PortClient | None:
    """Port settings, authentication, and that every blueprint the mapping writes exists."""
    from jira_port.port import PortClient

    client = _attempt(
        report,
        "port config",
        "set PORT_CLIENT_ID and PORT_CLIENT_SECRET (or PORT_CREDENTIALS_SECRET_ARN); "
        "PORT_API_URL for the US region",
        PortClient.from_env,
    )
    if client is None:
        return None
    report.add("port config", "ok", f"API {client.settings.api_url}")
    port = client
    blueprints = sorted(mapping.blueprints) if mapping is not None else []
    if not blueprints:
        report.add("port blueprints", "skip", "no mapping to check against")
    for bp in blueprints:

        def present(bp: str = bp) -> None:
            if port.get_blueprint(bp) is None:
                report.add(f"port blueprint {bp}", "fail", "missing", "run `jira-port blueprints apply`")
            else:
                report.add(f"port blueprint {bp}", "ok", "present")

        _attempt(report, f"port blueprint {bp}", "check the Port credentials and PORT_API_URL", present)
    return client


def check_webhook_secret(report: Report) -> None:
    """Whether live deliveries will be verified."""
    from jira_port.settings.live import LiveSettings

    def check() -> None:
        settings = LiveSettings.from_env()
        if settings.has_secret:
            report.add("webhook secret", "ok", "signatures will be verified")
        else:
            report.add(
                "webhook secret",
                "warn",
                "no WEBHOOK_SECRET / WEBHOOK_SECRET_ARN: deliveries are accepted unsigned",
                "set a secret and register the webhook with it (`jira-port register-webhook`)",
            )

    _attempt(report, "webhook secret", "see README: Configuration", check)


def run(args: argparse.Namespace) -> int:
    """Run every check, print the report, exit 1 when any check failed."""
    report = Report()
    mapping = check_mapping(report)
    check_jira(report)
    check_port(report, mapping)
    check_webhook_secret(report)
    print(report.render(), file=sys.stdout)
    return 1 if report.failed else 0


def register(subparsers: SubParsers) -> None:
    """Add ``doctor``."""
    parser = subparsers.add_parser(
        "doctor",
        help="check configuration, credentials, connectivity, blueprints and the mapping",
        description="Check the configuration in the environment end to end and say what to fix.",
    )
    parser.set_defaults(func=run)
