"""``jira-port map``: show the Port actions a mapping makes of Jira webhook bodies (a dry run)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from jira_port_tools.cli._common import (
    SubParsers,
    add_json_flag,
    add_mapping_flag,
    live_event_headers,
    load_cli_mapping,
    print_json,
)
from jira_port_tools.map_inputs import (
    EventError,
    WebhookInput,
    parse_json,
    read_inputs,
    read_payload_from_s3,
    unwrap,
)

if TYPE_CHECKING:
    pass

EXIT_OK = 0
EXIT_USAGE = 2


def register(subparsers: SubParsers) -> None:
    """Add the ``map`` sub-command."""
    parser = subparsers.add_parser(
        "map",
        help="map Jira webhook bodies to Port actions (dry run, nothing is written)",
        description=(
            "Evaluate the mapping on each EVENT and print its Port actions as one JSON array per webhook "
            "body. An EVENT is a Jira webhook body, an API Gateway event (as in events/: its body, headers "
            "and query are used), an SQS event of the sync function (one result per record; a body "
            "offloaded to S3 is read with your AWS credentials), a directory (its .json files, sorted) "
            "or '-' for JSON Lines on stdin (blank lines skipped). Other Lambda events are refused. "
            "Warnings, including 'no mapping rule matched', go to stderr. The mapping is --mapping, else "
            "MAPPING_CONFIG / MAPPING_SOURCE, else the bundled default. Exit 0 mapped, 2 bad input or "
            "mapping (before any output)."
        ),
    )
    parser.add_argument(
        "events", nargs="+", metavar="EVENT", help="a JSON file, a directory, or - for JSON Lines on stdin"
    )
    add_json_flag(parser)
    add_mapping_flag(parser)
    parser.add_argument(
        "--header",
        action="append",
        default=[],
        type=_header,
        metavar="NAME:VALUE",
        help="a header for .headers (repeatable; added to the event's; default x-jira-port-source: webhook)",
    )
    parser.add_argument(
        "--query", action="append", default=[], type=_query, metavar="NAME=VALUE", help="a query parameter"
    )
    parser.add_argument(
        "--jira-base-url", metavar="URL", help="value of $jira_base_url (default: JIRA_BASE_URL, else null)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Map every event and print one JSON line of actions per event (or one document with --json)."""
    mapping = load_cli_mapping(args.mapping)
    overrides, query_overrides = dict(args.header), dict(args.query)
    base_url = args.jira_base_url if args.jira_base_url is not None else os.environ.get("JIRA_BASE_URL")
    if args.events.count("-") > 1:
        return _fail("stdin (-) can be given only once")
    try:
        files = {name: read_inputs(name) for name in args.events if name != "-"}
    except EventError as exc:
        return _fail(str(exc))
    report: list[dict[str, Any]] = []
    for name in args.events:
        inputs = _stdin_inputs() if name == "-" else iter(files[name])
        try:
            for item in inputs:
                headers = {
                    **(item.headers if item.headers is not None else live_event_headers()),
                    **overrides,
                }
                query = {**(item.query or {}), **query_overrides}
                result = mapping.evaluate_detailed(item.body, headers, query, jira_base_url=base_url)
                actions = [a.to_json() for a in result.actions]
                warnings = [str(w) for w in result.warnings]
                if not actions:
                    event = item.body.get("webhookEvent") or "no webhookEvent"
                    warnings.append(f"no mapping rule matched ({event}): nothing would be written")
                for warning in warnings:
                    print(f"jira-port: warning: {item.label}: {warning}", file=sys.stderr)
                if args.json:
                    report.append({"source": item.label, "actions": actions, "warnings": warnings})
                else:
                    print(json.dumps(actions, ensure_ascii=False), flush=True)
        except EventError as exc:
            return _fail(str(exc))
    if args.json:
        print_json({"events": report})
    return EXIT_OK


def _stdin_inputs() -> Iterator[WebhookInput]:
    for number, line in enumerate(sys.stdin, start=1):
        if line.strip():
            label = f"stdin line {number}"
            yield from unwrap(parse_json(line, label), label, read_payload_from_s3)


def _header(value: str) -> tuple[str, str]:
    name, sep, header_value = value.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError("expected NAME:VALUE")  # never echo: it may hold a credential
    return name.strip().lower(), header_value.strip()


def _query(value: str) -> tuple[str, str]:
    name, sep, query_value = value.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError("expected NAME=VALUE")
    return name, query_value


def _fail(message: str) -> int:
    print(f"jira-port: {message}", file=sys.stderr)
    return EXIT_USAGE
