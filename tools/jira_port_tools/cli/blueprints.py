"""``jira-port blueprints``: show the bundled Port blueprints, or apply them to Port."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from jira_port.errors import ConfigError
from jira_port_tools.cli import EXIT_FAILED, EXIT_OK
from jira_port_tools.cli._common import SubParsers, add_json_flag, print_json


def register(subparsers: SubParsers) -> None:
    """Add ``blueprints apply`` and ``blueprints show``."""
    parser = subparsers.add_parser("blueprints", help="show or apply the Port blueprints jira-port writes to")
    actions = parser.add_subparsers(dest="blueprints_action", required=True, metavar="ACTION")
    apply = actions.add_parser(
        "apply",
        help="create missing blueprints in Port and update changed ones (PORT_* variables)",
        description=(
            "Create or update the bundled blueprints in Port; reports created/updated/unchanged. "
            "Exit 0 applied, 1 Port refused, 2 bad configuration or blueprint file."
        ),
    )
    apply.add_argument("--dry-run", action="store_true", help="read Port and report, but change nothing")
    add_json_flag(apply)
    apply.add_argument(
        "--file", action="append", type=Path, metavar="JSON",
        help="apply this blueprint definition instead of the bundled ones (repeatable)",
    )  # fmt: skip
    apply.set_defaults(func=_apply)
    show = actions.add_parser("show", help="print the bundled blueprint definitions as JSON")
    show.set_defaults(func=_show)


def _definitions(files: list[Path] | None) -> list[dict[str, Any]]:
    from jira_port_tools.blueprints import bundled_blueprints, validate_definition

    if not files:
        return bundled_blueprints()
    definitions = []
    for path in files:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"cannot read blueprint {path}: {exc}") from None
        validate_definition(data, str(path))
        definitions.append(data)
    return definitions


def _show(args: argparse.Namespace) -> int:
    print(json.dumps(_definitions(None), indent=2, ensure_ascii=False))
    return 0


def _apply(args: argparse.Namespace) -> int:
    from jira_port.port import PortAPIError, PortClient
    from jira_port.settings.port import PortSettings
    from jira_port_tools.blueprints import apply_blueprints

    definitions = _definitions(args.file)
    with PortClient(PortSettings.from_env()) as client:
        try:
            changes = apply_blueprints(client, definitions, dry_run=args.dry_run)
        except PortAPIError as exc:
            print(f"jira-port: {exc}", file=sys.stderr)
            return EXIT_FAILED
    counts = {o: sum(c.outcome == o for c in changes) for o in ("created", "updated", "unchanged")}
    if args.json:
        blueprints = [{"identifier": c.identifier, "outcome": c.outcome} for c in changes]
        print_json({"dryRun": args.dry_run, "blueprints": blueprints, **counts})
        return EXIT_OK
    verb = {"created": "would create", "updated": "would update"} if args.dry_run else {}
    for change in changes:
        print(f"{change.identifier}: {verb.get(change.outcome, change.outcome)}")
    prefix = "dry run: " if args.dry_run else ""
    print(prefix + ", ".join(f"{n} {o}" for o, n in counts.items()))
    return EXIT_OK
