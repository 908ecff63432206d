"""``python -m bench [--only NAME ...]``: run the benchmarks and (re)write docs/benchmarks.md.

Every ``bench/bench_<name>.py`` runs in its own interpreter. A failing benchmark is reported as failed (with
its error) and makes the exit status 1; the others still run. ``--only`` re-runs the named sections and keeps
the other sections of the existing report as they were.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench._report import REPORT, compose, discover, previous_sections, run_isolated, run_one


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", metavar="NAME", help="run only this section (repeatable)")
    parser.add_argument("--list", action="store_true", help="print the section names and exit")
    parser.add_argument("--run-one", metavar="NAME", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.run_one:
        run_one(args.run_one, args.out)
        return 0
    names = discover()
    if args.list:
        print("\n".join(names))
        return 0
    unknown = sorted(set(args.only or []) - set(names))
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; known: {', '.join(names)}")
    selected = [n for n in names if not args.only or n in args.only]

    kept = previous_sections(REPORT.read_text(encoding="utf-8")) if args.only and REPORT.is_file() else {}
    results = []
    for name in selected:
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        section = run_isolated(name)
        print(f"bench: {name} {'ok' if section.ok else 'FAILED'} in {section.seconds:.1f} s", file=sys.stderr)
        results.append(section)
        kept[name] = section.render()
    ordered = [n for n in names if n in kept]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(compose(kept, ordered, results if args.only else []), encoding="utf-8")
    print(f"bench: wrote {REPORT}", file=sys.stderr)
    return 0 if all(s.ok for s in results) else 1


if __name__ == "__main__":
    sys.exit(main())
