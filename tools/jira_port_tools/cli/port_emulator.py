"""``jira-port port-emulator``: run the local Port API (development only) until Ctrl-C."""

from __future__ import annotations

import argparse
import sys

from jira_port.errors import ConfigError
from jira_port_tools.cli._common import SubParsers, non_negative, probability

DEFAULT_CLIENT_ID = "local-id"
DEFAULT_CLIENT_SECRET = "local-secret"  # noqa: S105 - the emulator's well-known local credential


def register(subparsers: SubParsers) -> None:
    """Add ``port-emulator``."""
    parser = subparsers.add_parser(
        "port-emulator",
        help="run a local Port API on 127.0.0.1 (for development and the demo)",
        description="Serve a local emulation of Port's REST API until interrupted with Ctrl-C.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="TCP port (default: any free port)")
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID, help="accepted client id")
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET, help="accepted client secret")
    parser.add_argument("--latency", type=non_negative, default=0.0, help="seconds added to each request")
    parser.add_argument("--error-rate", type=probability, default=0.0, help="probability of a 500/503")
    parser.add_argument("--throttle-rate", type=probability, default=0.0, help="probability of a 429")
    parser.add_argument("--retry-after", type=non_negative, default=1.0, help="Retry-After of injected 429s")
    parser.add_argument("--token-lifetime", type=non_negative, default=10800.0, help="token lifetime (s)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the fault RNG (repeatable runs)")
    parser.add_argument(
        "--with-blueprints", action="store_true", help="start with the bundled blueprints already created"
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    try:
        from jira_port_emulators.port import PortEmulator, PortFaults
    except ImportError:
        raise ConfigError("the Port emulator is a development tool: run it from a source checkout") from None
    from jira_port_tools.blueprints import bundled_blueprints, dependency_order

    try:
        faults = PortFaults(
            latency=args.latency, error_rate=args.error_rate, throttle_rate=args.throttle_rate,
            retry_after=args.retry_after, seed=args.seed,
        )  # fmt: skip
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    blueprints = dependency_order(bundled_blueprints()) if args.with_blueprints else []
    emulator = PortEmulator(
        args.client_id, args.client_secret, args.token_lifetime, faults, blueprints=blueprints
    )
    default_secret = args.client_secret == DEFAULT_CLIENT_SECRET
    secret_hint = DEFAULT_CLIENT_SECRET if default_secret else "<your --client-secret>"

    def ready(running: object) -> None:
        url = emulator.url
        print(f"Local Port API listening on {url} (Ctrl-C to stop)")
        print(f"  export PORT_API_URL={url}")
        print(f"  export PORT_CLIENT_ID={args.client_id}")
        print(f"  export PORT_CLIENT_SECRET={secret_hint}")
        sys.stdout.flush()

    try:
        emulator.serve(args.host, args.port, on_ready=ready)
    except KeyboardInterrupt:
        print("Local Port API stopped")
    except OSError as exc:
        raise ConfigError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
    return 0
