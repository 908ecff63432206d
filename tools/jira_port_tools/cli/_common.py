"""Helpers shared by CLI commands."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jira_port.mapping import CompiledMapping

    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    SubParsers = argparse._SubParsersAction


class HelpFormatter(argparse.HelpFormatter):
    """Wraps descriptions as usual but keeps text with its own line breaks (the exit-code table) as is."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def probability(text: str) -> float:
    """argparse type: a number between 0 and 1."""
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def non_negative(text: str) -> float:
    """argparse type: a number >= 0."""
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    """``--json``: the command's report as one JSON document on stdout (messages stay on stderr)."""
    parser.add_argument("--json", action="store_true", help="print the report as JSON on stdout")


def print_json(document: Any) -> None:
    """Print ``document`` as indented JSON on stdout."""
    print(json.dumps(document, indent=2, ensure_ascii=False, default=str), file=sys.stdout, flush=True)


MAPPING_SOURCES = (
    "a bundled name (default, cloud-guide, server-guide), a .json/.yaml file, s3://bucket/key "
    "or port:<webhook identifier>"
)


def add_mapping_flag(parser: argparse.ArgumentParser) -> None:
    """``--mapping SOURCE``: the mapping to use instead of ``MAPPING_CONFIG`` / ``MAPPING_SOURCE``."""
    parser.add_argument(
        "--mapping",
        metavar="SOURCE",
        help=f"{MAPPING_SOURCES} (default: MAPPING_CONFIG, else MAPPING_SOURCE, else the bundled default)",
    )


def load_cli_mapping(source: str | None) -> CompiledMapping:
    """The mapping of ``--mapping`` (or the environment's when ``None``), compiled; ``MappingError``
    (a configuration error: exit 2) when it cannot be read or compiled."""
    from jira_port.settings.mapping import MappingSettings, load_configured_mapping

    return load_configured_mapping(MappingSettings.from_env().with_source(source))


__all__ = [
    "MAPPING_SOURCES",
    "HelpFormatter",
    "SubParsers",
    "add_json_flag",
    "add_mapping_flag",
    "load_cli_mapping",
    "non_negative",
    "print_json",
    "probability",
]


def live_event_headers() -> dict[str, str]:
    """What a live delivery's ``.headers`` hold for the mapping, for inputs that name no headers."""
    from jira_port.live.queue import LIVE_SOURCE
    from jira_port.mapping import SOURCE_HEADER

    return {SOURCE_HEADER: LIVE_SOURCE}
