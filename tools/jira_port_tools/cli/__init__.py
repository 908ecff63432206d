"""The ``jira-port`` command line. Each public module in this package adds one sub-command.

A command module defines ``register(subparsers)`` which adds its parser and sets
``func=<callable(args) -> int>``. Modules whose names start with ``_`` are helpers, not commands.
Heavy imports belong inside the command function so ``jira-port --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from jira_port import __version__
from jira_port.errors import ConfigError
from jira_port_tools.cli._common import HelpFormatter

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_CODES = f"""exit codes (every command):
  {EXIT_OK}    done; every check passed
  {EXIT_FAILED}    something failed: a check, a write Port or Jira rejected, an AWS call
  {EXIT_USAGE}    bad arguments or configuration (a missing or invalid variable, rejected credentials)
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C)
Commands that report take --json: one JSON document on stdout; messages stay on stderr."""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser with every discovered sub-command, or only ``command``'s when a module of
    that name exists (``jira-port backfill`` then imports nothing of the other commands)."""
    parser = argparse.ArgumentParser(
        prog="jira-port",
        description="Keep Port's software catalog in sync with Jira Cloud and Jira Server/Data Center.",
        epilog=EXIT_CODES,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"jira-port {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    names = sorted(info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_"))
    wanted = (command or "").replace("-", "_")
    for name in [wanted] if wanted in names else names:
        module = importlib.import_module(f"{__name__}.{name}")
        module.register(subparsers)
    for sub in subparsers.choices.values():
        sub.epilog = sub.epilog or EXIT_CODES
        sub.formatter_class = HelpFormatter
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``jira-port`` console script."""
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(words[0] if words and not words[0].startswith("-") else None)
    args = parser.parse_args(words)
    try:
        code: int = args.func(args)
    except ConfigError as exc:
        print(f"jira-port: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("jira-port: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return code


if __name__ == "__main__":
    sys.exit(main())
