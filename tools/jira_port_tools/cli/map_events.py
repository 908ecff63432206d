"""``jira-port map``: show the Port actions a mapping makes of Jira webhook bodies (a dry run)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jira_port_tools.cli._common import SubParsers

if TYPE_CHECKING:
    from jira_port.mapping import CompiledMapping

EXIT_OK = 0
EXIT_USAGE = 2


class EventError(Exception):
    """An event that cannot be read or is not a JSON object."""


def register(subparsers: SubParsers) -> None:
    """Add the ``map`` sub-command."""
    parser = subparsers.add_parser(
        "map",
        help="map Jira webhook bodies to Port actions (dry run, nothing is written)",
        description=(
            "Evaluate the mapping on each EVENT (a raw Jira webhook body, as JSON) and print its Port "
            "actions as one JSON array per line. EVENT '-' reads JSON Lines from stdin and writes one "
            "result line per event line (blank lines are skipped). Warnings go to stderr. The mapping is "
            "--mapping, else MAPPING_CONFIG / MAPPING_FILE, else the bundled default."
        ),
    )
    parser.add_argument(
        "events", nargs="+", metavar="EVENT", help="a JSON file, or - for JSON Lines on stdin"
    )
    parser.add_argument(
        "--mapping",
        metavar="FILE",
        help="mapping file (.json/.yaml/.yml) or bundled name (default, cloud-guide, …)",
    )
    parser.add_argument(
        "--header",
        action="append",
        default=[],
        type=_header,
        metavar="NAME:VALUE",
        help="a request header for .headers (repeatable; default x-jira-port-source: webhook)",
    )
    parser.add_argument(
        "--query", action="append", default=[], type=_query, metavar="NAME=VALUE", help="a query parameter"
    )
    parser.add_argument(
        "--jira-base-url", metavar="URL", help="value of $jira_base_url (default: JIRA_BASE_URL, else null)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Map every event and print one JSON line of actions per event."""
    mapping = _mapping(args.mapping)
    headers = {"x-jira-port-source": "webhook", **dict(args.header)}
    query = dict(args.query)
    base_url = args.jira_base_url if args.jira_base_url is not None else os.environ.get("JIRA_BASE_URL")
    if args.events.count("-") > 1:
        return _fail("stdin (-) can be given only once")
    try:
        files = {name: _read_file(name) for name in args.events if name != "-"}
    except EventError as exc:
        return _fail(str(exc))
    for name in args.events:
        events = _stdin_events() if name == "-" else iter([(name, files[name])])
        try:
            for label, body in events:
                result = mapping.evaluate_detailed(body, headers, query, jira_base_url=base_url)
                for warning in result.warnings:
                    print(f"jira-port: warning: {label}: {warning}", file=sys.stderr)
                print(json.dumps([a.to_json() for a in result.actions], ensure_ascii=False), flush=True)
        except EventError as exc:
            return _fail(str(exc))
    return EXIT_OK


def _mapping(source: str | None) -> CompiledMapping:
    from jira_port.mapping import load_mapping
    from jira_port.settings.mapping import MappingSettings, load_configured_mapping

    if source is not None:
        return load_mapping(source)
    return load_configured_mapping(MappingSettings.from_env())


def _read_file(name: str) -> Any:
    try:
        text = Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise EventError(f"{name}: cannot read the event: {reason}") from None
    return _parse(text, name)


def _stdin_events() -> Iterator[tuple[str, Any]]:
    for number, line in enumerate(sys.stdin, start=1):
        if line.strip():
            label = f"stdin line {number}"
            yield label, _parse(line, label)


def _parse(text: str, label: str) -> Any:
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EventError(
            f"{label}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    if not isinstance(body, dict):
        raise EventError(f"{label}: a Jira webhook body must be a JSON object, got {type(body).__name__}")
    return body


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
