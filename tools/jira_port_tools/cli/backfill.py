"""``jira-port backfill``: the scheduled backfill, run locally (resumable through a local state file)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from jira_port_tools.cli._common import SubParsers, add_json_flag, add_mapping_flag

if TYPE_CHECKING:
    from jira_port.backfill.report import BackfillSummary, Progress

EXIT_OK = 0
EXIT_FAILED = 1


def register(subparsers: SubParsers) -> None:
    """Add the ``backfill`` sub-command."""
    parser = subparsers.add_parser(
        "backfill",
        help="read Jira (projects, then issues) and write the mapped entities to Port",
        description=(
            "Run a backfill like the scheduled Lambda does, configured by the same environment variables "
            "(JIRA_*, PORT_*, MAPPING_*, BACKFILL_*). State lives in STATE_TABLE when set, else in "
            "--state (default .jira-port/state.json), so an interrupted run resumes where it stopped. "
            "Exit status: 0 = the run succeeded; 1 = Port rejected entities, a partition failed, "
            "reconciliation was refused, or the run is incomplete; 2 = configuration error."
        ),
    )
    parser.add_argument(
        "--mode",
        choices=("full", "incremental"),
        default="full",
        help="full: every issue in scope, then delete what Jira no longer has; incremental: issues "
        "updated since the last successful run (default: full)",
    )
    parser.add_argument("--jql", metavar="JQL", help="scope of issues to read (default: JIRA_JQL, else all)")
    add_mapping_flag(parser)
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the Port actions as JSON Lines instead of writing them (no Port credentials needed)",
    )
    parser.add_argument("--state", metavar="FILE", type=Path, help="local state file (overrides STATE_TABLE)")
    progress = parser.add_mutually_exclusive_group()
    progress.add_argument(
        "--progress", dest="progress", action="store_true", default=None, help="force the bar"
    )
    progress.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    add_json_flag(parser)  # with --dry-run the summary goes to stderr: stdout holds the actions
    parser.add_argument("--verbose", "-v", action="store_true", help="log every page (JSON lines on stderr)")
    parser.set_defaults(func=run)


class ProgressBar:
    """A one-line textual progress display on ``stream``, redrawn at most every ``interval`` seconds."""

    def __init__(self, stream: TextIO, interval: float = 0.25) -> None:
        self.stream = stream
        self.interval = interval
        self._last = 0.0
        self._drawn = False

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        finished = progress.partitions_done == progress.partitions_total
        if now - self._last < self.interval and not finished:
            return
        self._last = now
        rate = progress.issues / progress.elapsed_seconds if progress.elapsed_seconds > 0 else 0.0
        self.stream.write(
            f"\r  {progress.issues:>9,} issues  {rate:>8,.0f}/s  {progress.pages:>7,} pages  "
            f"partitions {progress.partitions_done:,}/{progress.partitions_total:,} "
        )
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """End the progress line."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


def _route_logs(verbose: bool) -> None:
    """Keep stdout for actions/summary: logs go to stderr, and only warnings unless ``verbose``."""
    from jira_port.observability import logger

    for handler in logger.handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
            handler.setStream(sys.stderr)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)


def run(args: argparse.Namespace) -> int:
    """Run invocations until the run ends (continuing in-process), print the summary, return the exit code."""
    from jira_port.errors import ConfigError, JiraPortError
    from jira_port_tools.backfill_local import LocalOptions, RecordingContinuation, build_local, run_to_end

    _route_logs(args.verbose)
    show_bar = args.progress if args.progress is not None else sys.stderr.isatty()
    bar = ProgressBar(sys.stderr) if show_bar else None
    continuation = RecordingContinuation()
    options = LocalOptions(
        jql=args.jql,
        mapping=args.mapping,
        state_file=args.state,
        dry_run=args.dry_run,
        out=sys.stdout,
        progress=bar,
    )
    service = build_local(options, continuation=continuation)
    try:
        summary = run_to_end(service, continuation, args.mode)
    except ConfigError:
        raise
    except JiraPortError as exc:
        if bar is not None:
            bar.close()  # end the bar's line before the message
        print(f"jira-port: backfill stopped: {exc}", file=sys.stderr)
        print("jira-port: run it again to resume from the last saved page", file=sys.stderr)
        return EXIT_FAILED
    finally:
        if bar is not None:
            bar.close()
    _print_summary(summary, as_json=args.json, stream=sys.stderr if args.dry_run else sys.stdout)
    return EXIT_OK if summary.status == "succeeded" else EXIT_FAILED


def _print_summary(summary: BackfillSummary, *, as_json: bool, stream: TextIO) -> None:
    if as_json:
        print(json.dumps(summary.to_dict(), indent=2, ensure_ascii=False), file=stream)
    else:
        from jira_port_tools.summary_text import render_summary

        print(render_summary(summary), file=stream)
