"""``jira-port mapping``: check a mapping source, diff two mappings over sample events, pull one."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from jira_port_tools.cli._common import (
    MAPPING_SOURCES,
    SubParsers,
    add_json_flag,
    live_event_headers,
    load_cli_mapping,
    print_json,
)

if TYPE_CHECKING:
    from jira_port.mapping import CompiledMapping

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def register(subparsers: SubParsers) -> None:
    """Add ``mapping check|diff|pull``."""
    parser = subparsers.add_parser(
        "mapping",
        help="check a mapping, diff two mappings over sample events, pull a mapping from Port",
        description=f"A SOURCE is {MAPPING_SOURCES}. S3 is read with your AWS credentials, Port with PORT_*.",
    )
    commands = parser.add_subparsers(dest="mapping_command", required=True, metavar="SUBCOMMAND")
    check = commands.add_parser(
        "check",
        help="load, validate and compile a mapping, printing every problem",
        description="Load, validate and compile SOURCE as the functions would (including the run on the "
        "bundled sample events within MAPPING_TIMEOUT_SECONDS / MAPPING_MEMORY_MB) and print every "
        "problem (rule, field, jq error). Exit 0 valid, 1 invalid, 2 unreadable.",
    )
    check.add_argument("source", metavar="SOURCE")
    add_json_flag(check)
    check.set_defaults(func=run_check)
    diff = commands.add_parser(
        "diff",
        help="the Port actions that change between two mappings over sample events",
        description="Map every event in --events with OLD and NEW and print, per event, the actions only "
        "OLD makes (removed), only NEW makes (added) and those whose entity changed. Events are read as by "
        "`jira-port map` (webhook bodies, API Gateway or SQS events). Exit 0 no difference, 1 the mappings "
        "differ, 2 bad input or mapping.",
    )
    diff.add_argument("old", metavar="OLD")
    diff.add_argument("new", metavar="NEW")
    diff.add_argument(
        "--events", required=True, metavar="DIR", help="a directory of .json events (or one file)"
    )
    add_json_flag(diff)
    diff.set_defaults(func=run_diff)
    pull = commands.add_parser(
        "pull",
        help="print a mapping source as YAML: jira-port mapping pull port:ID > mapping.yaml",
        description="Print the rules of SOURCE as YAML on stdout, e.g. the mappings of a Port webhook data "
        "source (the Port credentials need the moderator or admin role). Exit 0 printed, 2 unreadable.",
    )
    pull.add_argument("source", metavar="SOURCE")
    pull.set_defaults(func=run_pull)


def run_check(args: argparse.Namespace) -> int:
    """Print ``ok`` and what the mapping writes, or every problem."""
    from jira_port.mapping import MappingError
    from jira_port.mapping.source import problem_records

    try:
        mapping = load_cli_mapping(args.source)
    except MappingError as exc:
        unreadable = any(p.message.startswith("cannot read it") for p in exc.problems)
        if args.json:
            print_json({"source": args.source, "ok": False, "problems": problem_records(exc)})
        else:
            print(f"jira-port: {exc}", file=sys.stderr)
        return EXIT_USAGE if unreadable else EXIT_FAILED
    blueprints = sorted(mapping.blueprints)
    if args.json:
        print_json({"source": args.source, "ok": True, "rules": len(mapping.rules), "blueprints": blueprints})
    else:
        print(
            f"ok: {mapping.source}: {len(mapping.rules)} rules, writes {', '.join(blueprints) or 'nothing'}"
        )
    return EXIT_OK


def _actions(
    mapping: CompiledMapping, body: Any, headers: dict[str, str], query: dict[str, str]
) -> dict[str, Any]:
    """The event's actions keyed by ``operation blueprint identifier``."""
    actions = mapping.evaluate(body, headers, query)
    return {f"{a.operation} {a.blueprint} {a.identifier}": a.to_json() for a in actions}


def event_changes(old: CompiledMapping, new: CompiledMapping, events: str) -> list[dict[str, Any]]:
    """Per event of ``events`` where the two mappings differ: removed, added and changed actions."""
    from jira_port_tools.map_inputs import read_inputs

    changes = []
    for item in read_inputs(events):
        headers = item.headers if item.headers is not None else live_event_headers()
        query = item.query or {}
        before, after = _actions(old, item.body, headers, query), _actions(new, item.body, headers, query)
        removed = [before[k] for k in before if k not in after]
        added = [after[k] for k in after if k not in before]
        changed = [
            {"old": before[k], "new": after[k]} for k in before if k in after and before[k] != after[k]
        ]
        if removed or added or changed:
            changes.append({"event": item.label, "removed": removed, "added": added, "changed": changed})
    return changes


def run_diff(args: argparse.Namespace) -> int:
    """Print the differing actions per event."""
    from jira_port_tools.map_inputs import EventError

    old, new = load_cli_mapping(args.old), load_cli_mapping(args.new)
    try:
        changes = event_changes(old, new, args.events)
    except EventError as exc:
        print(f"jira-port: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print_json({"old": args.old, "new": args.new, "events": changes})
    else:
        for change in changes:
            print(f"== {change['event']}")
            for sign, key in (("-", "removed"), ("+", "added")):
                for action in change[key]:
                    print(f"{sign} {json.dumps(action, ensure_ascii=False, sort_keys=True)}")
            for pair in change["changed"]:
                print(f"- {json.dumps(pair['old'], ensure_ascii=False, sort_keys=True)}")
                print(f"+ {json.dumps(pair['new'], ensure_ascii=False, sort_keys=True)}")
        print(f"{len(changes)} event(s) map differently", file=sys.stderr)
    return EXIT_FAILED if changes else EXIT_OK


def run_pull(args: argparse.Namespace) -> int:
    """Print the source's rules as YAML."""
    import yaml

    from jira_port.mapping.config import parse_text
    from jira_port.mapping.source import SourceReader

    reader = SourceReader(args.source)
    try:
        fetched = reader()
    finally:
        reader.close()
    document = parse_text(fetched.text, fetched.fmt, fetched.label)
    print(f"# {fetched.label}: pulled by `jira-port mapping pull`")
    print(yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100), end="")
    return EXIT_OK
