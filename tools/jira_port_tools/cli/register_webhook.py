"""``jira-port register-webhook``: create or update the Jira admin webhook that feeds jira-port."""

from __future__ import annotations

import argparse
import sys

from jira_port.errors import ConfigError
from jira_port_tools.cli import EXIT_FAILED, EXIT_OK
from jira_port_tools.cli._common import (
    SubParsers,
    add_json_flag,
    add_mapping_flag,
    load_cli_mapping,
    print_json,
)


def register(subparsers: SubParsers) -> None:
    """Add ``register-webhook``."""
    parser = subparsers.add_parser(
        "register-webhook",
        help="register (or update) the Jira webhook that sends the mapping's events to jira-port",
        description=(
            "Create the admin webhook, or update the one already pointing at --url (never a duplicate), "
            "for the Jira events the mapping's filters select (the webhookEvent values they compare with; "
            "when a filter does not name them, the jira:issue_* and project_* events, and a note says so), "
            "less the ones the Jira flavour does not offer (listed in a note). "
            "Jira settings come from JIRA_*; the "
            "issue filter is JIRA_JQL, the same scope the backfill reads (one setting: change it there and "
            "register again); the signing secret comes from WEBHOOK_SECRET or WEBHOOK_SECRET_ARN. Needs "
            "the 'Administer Jira' permission. Exit 0 registered, 1 Jira refused, 2 bad configuration or "
            "credentials."
        ),
    )
    parser.add_argument("--url", required=True, help="the public webhook endpoint (API Gateway URL)")
    parser.add_argument("--name", default="jira-port", help="webhook name shown in Jira (default jira-port)")
    add_mapping_flag(parser)
    add_json_flag(parser)
    parser.set_defaults(func=_run)


def _secret() -> str | None:
    """The secret the webhook Lambda verifies with: ``WEBHOOK_SECRET`` or the current key of the
    ``WEBHOOK_SECRET_ARN`` secret, parsed exactly as the live path parses it."""
    from jira_port.live.auth import parse_webhook_secret
    from jira_port.secrets import get_secret_string
    from jira_port_tools.jira_webhooks import WebhookRegistrationSettings

    settings = WebhookRegistrationSettings.from_env()
    if settings.secret is not None:
        return settings.secret.get_secret_value()
    if not settings.secret_arn:
        return None
    return parse_webhook_secret(get_secret_string(settings.secret_arn), settings.secret_arn).secret or None


def _run(args: argparse.Namespace) -> int:
    from jira_port.jira import JiraClient, JiraError

    secret = _secret()
    if secret is None:
        print(
            "jira-port: warning: no WEBHOOK_SECRET/WEBHOOK_SECRET_ARN: Jira will not sign deliveries",
            file=sys.stderr,
        )
    from jira_port_tools.jira_webhooks import register_webhook
    from jira_port_tools.webhook_events import derive_events

    mapping = load_cli_mapping(args.mapping)
    with JiraClient.from_env() as client:
        try:
            derived = derive_events(mapping, client.deployment)
            if derived.note:
                print(f"jira-port: note: {derived.note}", file=sys.stderr)
            result = register_webhook(
                client, args.url, jql=client.jql, secret=secret, name=args.name, events=derived.events
            )
        except JiraError as exc:
            if isinstance(exc, ConfigError):  # rejected credentials: a configuration problem (exit 2)
                raise
            print(f"jira-port: {exc}", file=sys.stderr)
            return EXIT_FAILED
    if args.json:
        print_json(
            {
                "id": result.id,
                "created": result.created,
                "url": result.url,
                "signed": result.signed,
                "api": result.api,
                "events": derived.events,
            }
        )
        return EXIT_OK
    action = "created" if result.created else "updated existing"
    signing = "signed (X-Hub-Signature)" if result.signed else "NOT signed"
    print(f"Jira webhook {result.id} {action}: {result.url}, {signing}, via {result.api}")
    print(f"events: {', '.join(derived.events)}")
    return EXIT_OK
