"""``jira-port dlq``: list the sync dead-letter queue with why each message failed, and redrive it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime

from jira_port_tools.cli import EXIT_FAILED, EXIT_OK
from jira_port_tools.cli._common import SubParsers, add_json_flag, print_json


def register(subparsers: SubParsers) -> None:
    """Add ``dlq list`` and ``dlq redrive``."""
    parser = subparsers.add_parser(
        "dlq",
        help="list the dead-letter queue with the reason each message failed, or redrive it",
        description=(
            "Inspect and redrive the sync dead-letter queue. The values are stack outputs "
            "(DeadLetterQueueUrl, SyncLogGroupName, SyncQueueUrl). AWS credentials and "
            "region come from the usual AWS environment (AWS_PROFILE, AWS_REGION, ...)."
        ),
    )
    actions = parser.add_subparsers(dest="dlq_action", required=True, metavar="ACTION")
    listing = actions.add_parser(
        "list",
        help="show the messages (they stay in the queue) and the reasons the sync function logged",
        description=(
            "Show up to --max messages of the DLQ: message id, FIFO group, receive count, the Jira event "
            "and issue/project, and the sync function's error lines for that message (from --log-group). "
            "Messages are hidden for a minute while read, then released. Exit 0 (also when empty), "
            "1 on an AWS error."
        ),
    )
    listing.add_argument("--queue-url", required=True, help="the DLQ URL (output DeadLetterQueueUrl)")
    listing.add_argument("--log-group", help="the sync log group (output SyncLogGroupName) for the reasons")
    listing.add_argument("--max", type=int, default=100, help="most messages to show (default 100)")
    add_json_flag(listing)
    listing.set_defaults(func=_guarded(_list))
    redrive = actions.add_parser(
        "redrive",
        help="move the DLQ's messages back to the sync queue, keeping each FIFO group's order",
        description=(
            "Move up to --max messages from the DLQ to the sync queue, oldest first, each with its FIFO "
            "group and a fresh deduplication id, deleting each from the DLQ once sent. Safe to repeat: "
            "the version guard drops events a newer one overtook. Exit 0 done (also when empty), 1 on an "
            "AWS error."
        ),
    )
    redrive.add_argument("--queue-url", required=True, help="the DLQ URL (output DeadLetterQueueUrl)")
    redrive.add_argument(
        "--to", required=True, metavar="URL", help="the sync queue URL (output SyncQueueUrl)"
    )
    redrive.add_argument("--max", type=int, default=1000, help="most messages to move (default 1000)")
    add_json_flag(redrive)
    redrive.set_defaults(func=_guarded(_redrive))


def _guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """An AWS error (no credentials, no such queue, access denied) becomes one line and exit 1."""

    def run(args: argparse.Namespace) -> int:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return command(args)
        except (BotoCoreError, ClientError) as exc:
            print(f"jira-port: {exc}", file=sys.stderr)
            return EXIT_FAILED

    return run


def _list(args: argparse.Namespace) -> int:
    import boto3

    from jira_port_tools.dlq import dead_letters

    logs = boto3.client("logs") if args.log_group else None
    letters = dead_letters(
        boto3.client("sqs"), args.queue_url, logs=logs, log_group=args.log_group, limit=args.max
    )
    if args.json:
        print_json({"messages": [letter.to_json() for letter in letters]})
        return EXIT_OK
    for letter in letters:
        sent = datetime.fromtimestamp(letter.sent_at_ms / 1000, UTC).isoformat(timespec="seconds")
        print(
            f"{letter.message_id}  group {letter.group_id}  received {letter.receive_count}x  sent {sent}  "
            f"{letter.event or '?'} {letter.issue_or_project or ''}".rstrip()
        )
        reasons = letter.reasons or (["no log line found"] if args.log_group else ["(pass --log-group)"])
        for reason in reasons:
            print(f"    {reason}")
    print(f"{len(letters)} message(s)")
    return EXIT_OK


def _redrive(args: argparse.Namespace) -> int:
    import boto3

    from jira_port_tools.dlq import redrive

    moved = redrive(boto3.client("sqs"), args.queue_url, args.to, limit=args.max)
    if args.json:
        print_json({"moved": len(moved), "messageIds": moved})
    else:
        print(f"moved {len(moved)} message(s) back to the sync queue")
    return EXIT_OK
