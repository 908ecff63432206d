"""``jira-port doctor``: configuration, credentials, connectivity, JQL, webhook scope, blueprints, mapping.

Each check is one function of a ``Context`` in ``CHECKS``; it adds its lines to the report and leaves
what later checks need (the mapping, the clients) on the context. Network calls use a short timeout and
one retry, so an unreachable service costs at most ``SERVICE_BUDGET_SECONDS``; checks that depend on a
failed one are skipped rather than failing again.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from jira_port_tools.cli import EXIT_FAILED, EXIT_OK
from jira_port_tools.cli._common import SubParsers, add_json_flag, add_mapping_flag, print_json
from jira_port_tools.doctor_report import Report, quiet_library_logs

if TYPE_CHECKING:
    from jira_port.jira import JiraClient
    from jira_port.mapping import CompiledMapping
    from jira_port.port import PortClient
    from jira_port.transport import RetryPolicy

# Per request: connect/read timeout, and two attempts with a short pause (about 8.5 s per service).
REQUEST_TIMEOUT_SECONDS = 4.0
SERVICE_BUDGET_SECONDS = 10.0


@dataclass(slots=True)
class Context:
    """What the checks share: the report, the options, and what earlier checks produced."""

    report: Report
    jql: str | None = None
    mapping_source: str | None = None
    mapping: CompiledMapping | None = None
    jira: JiraClient | None = None
    port: PortClient | None = None
    blueprints: list[str] = field(default_factory=list)


def _retry_policy() -> RetryPolicy:
    from jira_port.transport import RetryPolicy

    return RetryPolicy(max_attempts=2, base_delay=0.2, max_delay=0.5, max_server_delay=1.0)


def check_mapping(ctx: Context) -> None:
    """The configured mapping compiles."""
    from jira_port.settings.mapping import MappingSettings, load_configured_mapping

    def check() -> CompiledMapping:
        settings = MappingSettings.from_env().with_source(ctx.mapping_source)
        mapping = load_configured_mapping(settings)
        ctx.blueprints = sorted(mapping.blueprints)
        names = ", ".join(ctx.blueprints) or "none"
        ctx.report.add("mapping", "ok", f"{settings.description} compiles; writes blueprints {names}")
        return mapping

    hint = "fix the mapping; `jira-port map EVENT.json` shows its output"
    ctx.mapping = ctx.report.attempt("mapping", hint, check)


def check_jira(ctx: Context) -> None:
    """Jira settings, then reachability; the client is kept only when Jira answered."""
    from jira_port.jira import JiraClient

    hint = (
        "set JIRA_BASE_URL and credentials: JIRA_EMAIL + JIRA_API_TOKEN (Cloud), JIRA_PAT (Data Center) "
        "or JIRA_USERNAME + JIRA_PASSWORD"
    )
    client = ctx.report.attempt(
        "jira config",
        hint,
        lambda: JiraClient.from_env(timeout=REQUEST_TIMEOUT_SECONDS, retry_policy=_retry_policy()),
    )
    if client is None:
        return
    ctx.report.add("jira config", "ok", f"base URL {client.base_url}")
    if ctx.jql is None:
        ctx.jql = client.jql

    def reachable() -> JiraClient:
        ctx.report.begin("jira reachable")
        info = client.server_info()
        kind = f"{info.get('deploymentType', '?')} {info.get('version', '')}".strip()
        ctx.report.add("jira reachable", "ok", f"{kind} ({client.deployment})")
        return client

    ctx.jira = ctx.report.attempt(
        "jira reachable", "check JIRA_BASE_URL and network access to Jira", reachable
    )
    if ctx.jira is None:
        client.close()


def check_jira_credentials(ctx: Context) -> None:
    """Who the credentials authenticate, and whether they may register webhooks."""
    jira = ctx.jira
    if jira is None:
        ctx.report.add("jira credentials", "skip", "Jira not reachable")
        return

    def credentials() -> None:
        from jira_port_tools.jira_webhooks import has_permission

        ctx.report.begin("jira credentials")
        me = jira.myself()
        who = me.get("displayName") or me.get("name") or me.get("accountId") or "?"
        ctx.report.add("jira credentials", "ok", f"authenticated as {who}")
        admin = has_permission(jira, "ADMINISTER")
        if admin is False:
            ctx.report.add(
                "jira admin",
                "warn",
                "the user lacks the Administer Jira global permission",
                "`jira-port register-webhook` needs it; the backfill does not",
            )
        else:
            ctx.report.add(
                "jira admin", "ok" if admin else "skip", "can register webhooks" if admin else "unknown"
            )

    ctx.report.attempt("jira credentials", "check the Jira credentials (expired? wrong user?)", credentials)
    if ctx.report.failed("jira credentials"):
        ctx.jira = None


def check_jql(ctx: Context) -> None:
    """The JQL (``--jql``, else JIRA_JQL) is valid, by Jira's own parser, once."""
    from jira_port_tools.jql_check import validate_jql

    if not ctx.jql:
        ctx.report.add("jql", "ok", "none set: every issue the user can browse")
        return
    jira = ctx.jira
    if jira is None:
        ctx.report.add("jql", "skip", "Jira not reachable or credentials rejected")
        return

    def check() -> None:
        ctx.report.begin("jql")
        errors, warnings = validate_jql(jira, ctx.jql or "")
        if errors:
            ctx.report.add(
                "jql", "fail", "; ".join(errors), "fix JIRA_JQL (or --jql); Jira's own parser said so"
            )
        elif warnings:
            ctx.report.add("jql", "warn", "; ".join(warnings), "the query runs but may match nothing")
        else:
            ctx.report.add("jql", "ok", f"valid: {ctx.jql}")

    ctx.report.attempt("jql", "check JIRA_JQL", check)


def check_webhook_scope(ctx: Context) -> None:
    """The jira-port webhooks registered in Jira filter issue events with JIRA_JQL (the backfill's scope)."""
    from jira_port_tools.doctor_scope import check_scope

    jira = ctx.jira
    if jira is None:
        ctx.report.add("webhook scope", "skip", "Jira not reachable or credentials rejected")
        return
    ctx.report.attempt(
        "webhook scope", "check JIRA_BASE_URL and the Jira credentials", lambda: check_scope(ctx.report, jira)
    )


def check_port(ctx: Context) -> None:
    """Port settings, then access (a token and a read); the client is kept only when Port answered."""
    from jira_port.port import PortClient
    from jira_port.settings.port import PortSettings

    def configure() -> PortClient:
        settings = PortSettings.from_env()
        if settings.timeout_seconds > REQUEST_TIMEOUT_SECONDS:
            settings = replace(settings, timeout_seconds=REQUEST_TIMEOUT_SECONDS)
        return PortClient(settings, policy=_retry_policy())

    hint = (
        "set PORT_CLIENT_ID and PORT_CLIENT_SECRET (or PORT_CREDENTIALS_SECRET_ARN); PORT_API_URL for the US"
    )
    client = ctx.report.attempt("port config", hint, configure)
    if client is None:
        return
    ctx.report.add("port config", "ok", f"API {client.settings.api_url}")

    def access() -> PortClient:
        from jira_port_tools.port_admin import get_blueprint

        ctx.report.begin("port access")
        get_blueprint(client, ctx.blueprints[0] if ctx.blueprints else "jiraIssue")
        ctx.report.add("port access", "ok", "authenticated")
        return client

    ctx.port = ctx.report.attempt(
        "port access", "check the Port credentials, PORT_API_URL and network", access
    )
    if ctx.port is None:
        client.close()


def check_port_blueprints(ctx: Context) -> None:
    """Every blueprint the mapping writes exists in Port."""
    from jira_port_tools.port_admin import get_blueprint

    port = ctx.port
    if port is None or not ctx.blueprints:
        ctx.report.add("port blueprints", "skip", "no Port access" if port is None else "no mapping to check")
        return
    for bp in ctx.blueprints:

        def present(bp: str = bp) -> None:
            if get_blueprint(port, bp) is None:
                ctx.report.add(f"port blueprint {bp}", "fail", "missing", "run `jira-port blueprints apply`")
            else:
                ctx.report.add(f"port blueprint {bp}", "ok", "present")

        ctx.report.attempt(f"port blueprint {bp}", "check the Port credentials and PORT_API_URL", present)


def check_custom_fields(ctx: Context) -> None:
    """Every custom field the mapping names exists in Jira (``doctor_fields``)."""
    from jira_port_tools.doctor_fields import check_fields

    check_fields(ctx.report, ctx.jira, ctx.mapping)


def check_webhook_secret(ctx: Context) -> None:
    """Whether live deliveries will be verified (JIRA_BASE_URL is the Jira checks' to report)."""
    from jira_port.settings.live import WebhookSettings

    def check() -> None:
        env = {k: v for k, v in os.environ.items() if k != "JIRA_BASE_URL"}
        if WebhookSettings.from_env(env).has_secret:
            ctx.report.add("webhook secret", "ok", "signatures will be verified")
        else:
            ctx.report.add(
                "webhook secret",
                "warn",
                "no WEBHOOK_SECRET / WEBHOOK_SECRET_ARN: deliveries are accepted unsigned",
                "set a secret and register the webhook with it (`jira-port register-webhook`)",
            )

    ctx.report.attempt("webhook secret", "see README: Configuration", check)


CHECKS: list[Callable[[Context], None]] = [
    check_mapping,
    check_jira,
    check_jira_credentials,
    check_jql,
    check_custom_fields,
    check_webhook_scope,
    check_port,
    check_port_blueprints,
    check_webhook_secret,
]


def run(args: argparse.Namespace) -> int:
    """Run every check, printing each line as it ends; exit 1 when any check failed."""
    report = Report(stream=sys.stderr if args.json else sys.stdout)
    ctx = Context(report, jql=args.jql, mapping_source=args.mapping)
    with quiet_library_logs():
        try:
            for check in CHECKS:
                check(ctx)
        finally:
            for client in (ctx.jira, ctx.port):
                if client is not None:
                    client.close()
    if args.json:
        print_json(report.to_json())
    else:
        print(report.summary(), flush=True)
    return EXIT_FAILED if any(c.status == "fail" for c in report.checks) else EXIT_OK


def register(subparsers: SubParsers) -> None:
    """Add ``doctor``."""
    parser = subparsers.add_parser(
        "doctor",
        help="check configuration, credentials, connectivity, JQL, blueprints and the mapping",
        description=(
            "Check the configuration in the environment end to end and say what to fix. Each line is "
            "printed as its check ends; an unreachable service costs at most about "
            f"{SERVICE_BUDGET_SECONDS:.0f} s. "
            "The JQL is checked once by Jira's own parser. With --json the lines go to stderr and the "
            "report to stdout. Exit 0 when no check failed (warnings allowed), 1 otherwise."
        ),
    )
    parser.add_argument("--jql", default=None, help="JQL to validate (default: JIRA_JQL)")
    add_mapping_flag(parser)
    add_json_flag(parser)
    parser.set_defaults(func=run)
