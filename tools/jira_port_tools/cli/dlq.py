"""``jira-port dlq``: list the sync dead-letter queue with why each message failed, and redrive it."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime

from jira_port_tools.cli import EXIT_FAILED, EXIT_OK
from jira_port_tools.cli._common import SubParsers, add_json_flag, print_json


def register(subparsers: SubParsers) -> None:
    """Add ``dlq list``, ``dlq redrive`` and ``dlq status``."""
    parser = subparsers.add_parser(
        "dlq",
        help="list the dead-letter queue with the reason each message failed, or redrive it",
        description=(
            "Inspect and redrive the sync dead-letter queue. The values are stack outputs "
            "(DeadLetterQueueUrl, SyncLogGroupName, DeadLetterQueueArn, SyncQueueArn). AWS credentials and "
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
        help="move every DLQ message back to the sync queue (SQS message move task)",
        description="Start an SQS message move task from the DLQ to the sync queue. Exit 0 started, 1 not.",
    )
    redrive.add_argument("--source-arn", required=True, help="the DLQ ARN (output DeadLetterQueueArn)")
    redrive.add_argument("--destination-arn", required=True, help="the sync queue ARN (output SyncQueueArn)")
    add_json_flag(redrive)
    redrive.set_defaults(func=_guarded(_redrive))
    status = actions.add_parser(
        "status", help="the DLQ's recent redrive tasks", description="List the DLQ's move tasks. Exit 0/1."
    )
    status.add_argument("--source-arn", required=True, help="the DLQ ARN (output DeadLetterQueueArn)")
    add_json_flag(status)
    status.set_defaults(func=_guarded(_status))


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

    from jira_port_tools.dlq import start_redrive

    handle = start_redrive(boto3.client("sqs"), args.source_arn, args.destination_arn)
    if args.json:
        print_json({"taskHandle": handle})
    else:
        print(f"redrive started (task {handle}); follow it with `jira-port dlq status`")
    return EXIT_OK


def _status(args: argparse.Namespace) -> int:
    import boto3

    from jira_port_tools.dlq import redrive_tasks

    tasks = redrive_tasks(boto3.client("sqs"), args.source_arn)
    if args.json:
        print_json({"tasks": tasks})
        return EXIT_OK
    for task in tasks:
        print(json.dumps(task, default=str))
    if not tasks:
        print("no redrive tasks")
    return EXIT_OK
