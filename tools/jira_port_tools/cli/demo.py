"""``jira-port demo``: the whole product on this machine, against a local Jira and a local Port.

Everything runs in this process, on 127.0.0.1, over real HTTP: the backfill pages the local Jira and
bulk-writes to the local Port; Jira's webhook sender posts signed events to ``jira-port serve``, which
runs the real webhook and sync Lambda handlers with SQS, S3 and DynamoDB on moto. At the end, Jira is
read afresh and mapped, and Port must hold exactly that. Needs the emulators (``jira_port_emulators``); no AWS
account, Docker or network. Exit status: 0 = Port matches Jira; 1 = a step failed; 130 = interrupted.
"""

from __future__ import annotations

import argparse
import importlib.util
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Literal, cast

from jira_port.errors import ConfigError
from jira_port_tools.cli import EXIT_FAILED, EXIT_OK
from jira_port_tools.cli._common import SubParsers
from jira_port_tools.cli._demo_output import DemoFailed, Steps

if TYPE_CHECKING:
    from jira_port_tools.cli._demo_steps import DemoOptions, DemoReport

EXIT_INTERRUPTED = 130
DESCRIPTION = """\
The whole product on this machine: a local Jira (generated, seeded dataset) and a local Port, the
bundled blueprints, a full backfill, then `jira-port serve` receiving signed webhooks from the local
Jira (a new issue created and edited, an existing one deleted, a project created and deleted). At the end
Jira is read afresh and mapped, and Port must hold exactly that. Everything runs in this process on
127.0.0.1 over real HTTP (SQS, S3, DynamoDB on moto); no AWS account, Docker or network. Needs the
source tree.
Exit status: 0 = Port matches Jira; 1 = a step failed; 2 = bad options; 130 = interrupted.
"""


def register(subparsers: SubParsers) -> None:
    """Add the ``demo`` sub-command."""
    parser = subparsers.add_parser(
        "demo",
        help="run the whole product locally: local Jira and Port, backfill, then live signed webhooks",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--projects", type=int, default=8, help="Jira projects to generate (default 8)")
    parser.add_argument("--issues", type=int, default=400, help="Jira issues to generate (default 400)")
    parser.add_argument("--flavour", choices=("cloud", "server"), default="cloud", help="default cloud")
    parser.add_argument("--seed", type=int, default=1, help="dataset seed (default 1)")
    parser.add_argument(
        "--keep-running",
        action="store_true",
        help="leave everything up afterwards and print the URLs and exports for the CLI, until Ctrl-C",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="jira-port's logs on stderr")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """The command: run the demo, turn failures into a message on stderr and an exit status."""
    from jira_port_tools.cli._demo_steps import DemoOptions

    options = DemoOptions(
        projects=args.projects,
        issues=args.issues,
        flavour=cast(Literal["cloud", "server"], args.flavour),
        seed=args.seed,
        keep_running=args.keep_running,
        verbose=args.verbose,
    )
    steps = Steps(6, sys.stdout)
    try:
        run_demo(options, steps)
    except DemoFailed as exc:
        print(f"jira-port: demo FAILED at {steps.where}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(
            f"jira-port: demo interrupted at {steps.where}; everything it started is stopped", file=sys.stderr
        )
        return EXIT_INTERRUPTED
    except ConfigError:
        raise
    except Exception as exc:  # a part broke unexpectedly: say where (everything is already stopped)
        print(f"jira-port: demo FAILED at {steps.where}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def run_demo(options: DemoOptions, steps: Steps | None = None) -> DemoReport:
    """Run every step, printing to ``steps.out`` (stdout by default); returns what it showed.

    Raises ``DemoFailed`` naming what went wrong, ``ConfigError`` for bad options or a missing
    ``emulators`` package, ``KeyboardInterrupt`` on Ctrl-C/SIGTERM. Whatever happens, everything it
    started is stopped and the environment restored before it returns or raises.
    """
    if options.projects < 1 or options.issues < 1:
        raise ConfigError("--projects and --issues must be at least 1")
    if importlib.util.find_spec("jira_port_emulators") is None:
        raise ConfigError(
            "jira-port demo needs the local Jira and Port emulators (the jira_port_emulators package, "
            "installed with jira-port but never with the Lambda layer): `pip install .` or `make demo`"
        )
    from jira_port_tools.cli._demo_steps import Demo

    steps = steps or Steps(6, sys.stdout)
    with _sigterm_interrupts(), ExitStack() as stack:
        return Demo(options, steps, stack).run()


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM stops the demo like Ctrl-C does (only the main thread may install handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
