"""``jira-port jira-emulator``: run a local Jira (Cloud or Data Center flavour) until Ctrl-C."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from jira_port.errors import ConfigError
from jira_port_tools.cli import EXIT_OK
from jira_port_tools.cli._common import SubParsers, non_negative, probability

# The emulator's well-known local credentials (printed so they can be exported).
DEFAULTS = {"email": "admin@example.com", "api_token": "api-token", "username": "admin", "password": "admin",
            "pat": "local-pat"}  # fmt: skip
DEMO_RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0, 16.0)  # Jira waits 5-15 minutes; compressed for local runs


def register(subparsers: SubParsers) -> None:
    """Add ``jira-emulator``."""
    parser = subparsers.add_parser(
        "jira-emulator",
        help="run a local Jira (Cloud or Data Center) with generated data, for development and the demo",
        description="Serve a local Jira with a deterministic generated dataset until interrupted (Ctrl-C).",
    )
    parser.add_argument("--flavour", choices=("cloud", "server"), default="cloud", help="default cloud")
    parser.add_argument("--projects", type=int, default=5, help="number of projects (default 5)")
    parser.add_argument("--issues", type=int, default=200, help="number of issues (default 200)")
    parser.add_argument("--seed", type=int, default=1, help="dataset and fault seed (default 1)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="TCP port (default: any free port)")
    parser.add_argument("--email", default=None, help=f"Cloud login (default {DEFAULTS['email']})")
    parser.add_argument(
        "--api-token", default=None, help="Cloud API token (default: the well-known local one)"
    )
    parser.add_argument("--username", default=None, help=f"Server login (default {DEFAULTS['username']})")
    parser.add_argument(
        "--password", default=None, help="Server password (default: the well-known local one)"
    )
    parser.add_argument("--pat", default=None, help="Server personal access token (default: the local one)")
    parser.add_argument("--latency", type=non_negative, default=0.0, help="seconds added to each API call")
    parser.add_argument("--throttle-rate", type=probability, default=0.0, help="share of calls answered 429")
    parser.add_argument("--retry-after", type=non_negative, default=1.0, help="Retry-After of injected 429s")
    parser.add_argument("--webhook-url", default=None, help="also send every event to this URL")
    parser.add_argument(
        "--webhook-secret", default=None, help="sign --webhook-url deliveries with this secret"
    )
    parser.set_defaults(func=_run)


def _credentials(args: argparse.Namespace) -> tuple[Any, list[str]]:
    from jira_port_emulators.jira import Account

    def pick(name: str) -> tuple[str, str]:
        given = getattr(args, name)
        return (given, f"<your --{name.replace('_', '-')}>") if given else (DEFAULTS[name], DEFAULTS[name])

    if args.flavour == "cloud":
        (email, _), (token, token_shown) = pick("email"), pick("api_token")
        return [Account(email, secret=token)], [f"JIRA_EMAIL={email}", f"JIRA_API_TOKEN={token_shown}"]
    (user, _), (password, password_shown) = pick("username"), pick("password")
    pat, pat_shown = pick("pat")
    lines = [f"JIRA_USERNAME={user}", f"JIRA_PASSWORD={password_shown}", f"# or: JIRA_PAT={pat_shown}"]
    return [Account(user, secret=password, pat=pat)], lines


def _run(args: argparse.Namespace) -> int:
    try:
        from jira_port_emulators.jira import JiraEmulator, JiraFaults, WebhookSender, generate_dataset
    except ImportError:
        raise ConfigError("the Jira emulator is a development tool: run it from a source checkout") from None
    if args.projects < 1 or args.issues < 0:
        raise ConfigError("--projects must be >= 1 and --issues >= 0")
    accounts, exports = _credentials(args)
    sender_options: dict[str, Any] = {
        "background": True,
        "retry_delays": DEMO_RETRY_DELAYS,
        "seed": args.seed,
        "data_center": args.flavour == "server",  # DC sends no identifier and never retries
    }
    try:
        faults = JiraFaults(latency=args.latency, throttle_rate=args.throttle_rate,
                            retry_after=args.retry_after, seed=args.seed)  # fmt: skip
        sender = (
            WebhookSender(args.webhook_url, args.webhook_secret, **sender_options)
            if args.webhook_url
            else None
        )
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    dataset = generate_dataset(args.projects, args.issues, flavour=args.flavour, seed=args.seed)
    emulator = JiraEmulator(
        dataset, users=accounts, faults=faults, webhooks=sender, sender_options=sender_options
    )
    try:
        url = emulator.start(args.host, args.port)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
    keys = ", ".join(p.key for p in dataset.projects.values())
    print(f"Local Jira ({args.flavour}) on {url}: {args.issues} issues in {args.projects} projects ({keys})")
    print(f"  export JIRA_BASE_URL={url}")
    for line in exports:
        print(f"  export {line}" if not line.startswith("#") else f"  {line}")
    if sender is not None:
        print(f"  events -> {args.webhook_url} ({'signed' if args.webhook_secret else 'unsigned'})")
    print("Ctrl-C to stop.")
    sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("Local Jira stopped")
    finally:
        emulator.stop()
        if sender is not None:
            sender.close()
    return EXIT_OK
