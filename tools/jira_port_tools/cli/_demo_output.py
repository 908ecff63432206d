"""What ``jira-port demo`` prints: numbered steps with timings, plain-text tables, the closing line.

Output is ASCII only, so it reads the same in any terminal encoding and in CI logs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TextIO

INDENT = "    "


class DemoFailed(Exception):
    """A step of the demo did not do what it must; the message says what happened."""


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = INDENT) -> str:
    """Left-aligned columns (numbers right-aligned) under a header and a rule."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    numeric = [all(row[i].isdigit() for row in rows) and bool(rows) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.rjust(width) if numeric[i] else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return (indent + "  ".join(parts)).rstrip()

    rule = indent + "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def clip(text: str, width: int = 40) -> str:
    """``text`` on one line, at most ``width`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


@dataclass
class Steps:
    """Numbered steps on ``out``; each records its duration, and a failure names its step."""

    total: int
    out: TextIO
    current: int = 0
    name: str = ""
    durations: dict[str, float] = field(default_factory=dict)
    _started: float = 0.0

    @contextmanager
    def step(self, name: str, title: str) -> Iterator[None]:
        """Announce step ``title``; errors name it by its short ``name``, which also keys ``durations``."""
        self.current += 1
        self.name = name
        self.say(f"{self.current}/{self.total} {title}", indent="")
        self._started = time.monotonic()
        try:
            yield
        finally:
            self.durations[name] = time.monotonic() - self._started

    def done(self, text: str) -> None:
        """The step's outcome, with the time the step took so far."""
        self.say(f"{text} ({seconds(time.monotonic() - self._started)})")

    def say(self, text: str, indent: str = INDENT) -> None:
        """Print ``text`` (every line indented) and flush, so it shows before slow work starts."""
        for line in text.splitlines() or [""]:
            print(f"{indent}{line}" if line else "", file=self.out)
        self.out.flush()

    @property
    def where(self) -> str:
        """``step 3/6 (full backfill)`` for error messages."""
        return f"step {self.current}/{self.total} ({self.name})" if self.current else "start-up"


def count(n: int, noun: str) -> str:
    """``1 issue``, ``2 issues``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def seconds(value: float) -> str:
    """``0.42 s`` below ten seconds, ``12 s`` above."""
    return f"{value:.2f} s" if value < 10 else f"{value:.0f} s"
