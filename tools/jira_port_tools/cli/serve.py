"""``jira-port serve``: the webhook and sync functions locally, behind ``http://127.0.0.1:8080/webhook``."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from typing import TYPE_CHECKING

from jira_port_tools.cli._common import SubParsers, add_mapping_flag, load_cli_mapping

if TYPE_CHECKING:
    from jira_port_tools.serve.local_server import LocalServer

DESCRIPTION = """\
Run the real webhook and sync Lambda handlers locally. Jira (or the Jira emulator) posts webhooks to
http://HOST:PORT/webhook (or /webhook/<token>); deliveries go through SQS FIFO, S3 and DynamoDB served
by an in-process moto, and the sync handler writes to the Port API in PORT_API_URL. Configure it with
the Lambda variables: PORT_API_URL, PORT_CLIENT_ID, PORT_CLIENT_SECRET, JIRA_BASE_URL, WEBHOOK_SECRET
(or WEBHOOK_TOKEN), MAPPING_SOURCE or MAPPING_CONFIG (or --mapping). GET /_local/status shows queue depths.
"""


def register(subparsers: SubParsers) -> None:
    """Add the ``serve`` sub-command."""
    parser = subparsers.add_parser(
        "serve",
        help="run the webhook and sync functions locally (HTTP, moto queue)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8080, help="port to listen on (default 8080; 0 = any free)"
    )
    parser.add_argument(
        "--max-receive-count", type=int, default=5, help="deliveries of a failing message before the DLQ"
    )
    parser.add_argument(
        "--retry-delay",
        type=int,
        default=1,
        help="seconds before a failed message is retried (doubles each time)",
    )
    parser.add_argument(
        "--once",
        action="store_true",
        help="exit once the first delivery is synced and the queue is empty (1 if anything dead-lettered)",
    )
    add_mapping_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Start the local server and serve until Ctrl-C/SIGTERM (or, with ``--once``, one delivery)."""
    from jira_port.settings.live import SyncSettings, WebhookSettings
    from jira_port.settings.port import PortSettings
    from jira_port_tools.serve.local_server import LocalServer

    if args.mapping:  # the handlers read the environment, as in Lambda
        os.environ["MAPPING_SOURCE"] = args.mapping
        for name in ("MAPPING_FILE", "MAPPING_CONFIG"):
            os.environ.pop(name, None)
    # Fail fast (exit 2) on configuration problems, before any server starts.
    live = WebhookSettings.from_env()
    SyncSettings.from_env()
    PortSettings.from_env()
    load_cli_mapping(None)
    server = LocalServer(
        args.host, args.port, max_receive_count=args.max_receive_count, retry_delay_seconds=args.retry_delay
    )
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    try:
        try:
            server.start()
        except OSError as exc:
            print(f"jira-port serve: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
            return 1
        try:
            auth = "signed" if live.has_secret else "token" if live.webhook_token else "UNAUTHENTICATED"
            print(f"jira-port serve: POST Jira webhooks to {server.webhook_url} ({auth})", file=sys.stderr)
            print(f"jira-port serve: status at {server.url}/_local/status; Ctrl-C stops", file=sys.stderr)
            return _serve(server, stop, once=args.once)
        except KeyboardInterrupt:
            return 0
        finally:
            print("jira-port serve: stopping", file=sys.stderr)
            server.stop()
    finally:
        signal.signal(signal.SIGTERM, previous)


def _serve(server: LocalServer, stop: threading.Event, *, once: bool) -> int:
    """Wait for SIGTERM (Ctrl-C raises KeyboardInterrupt), or with ``once`` for one synced delivery."""
    if not once:
        while not stop.wait(0.5):
            pass
        return 0
    while not stop.is_set() and not server.wait_for_sync(1, timeout=0.5):
        pass
    server.drain(timeout=300)
    return 1 if server.dead_letter_count() else 0
