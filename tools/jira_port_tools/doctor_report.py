"""The report ``jira-port doctor`` builds: one line per check, printed as each check ends."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, TextIO

Status = Literal["ok", "warn", "fail", "skip"]
_MARK: dict[Status, str] = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL", "skip": "skip"}


@dataclass(slots=True)
class Check:
    """One line of the report: what was checked, how it went, what to do about it, how long it took."""

    name: str
    status: Status
    detail: str
    hint: str = ""
    seconds: float = 0.0

    def lines(self) -> list[str]:
        """The check as text, with the next step under a failure or warning."""
        out = [f"[{_MARK[self.status]}] {self.name}: {self.detail}"]
        if self.hint and self.status in {"fail", "warn"}:
            out.append(f"       -> {self.hint}")
        return out


@dataclass(slots=True)
class Report:
    """The checks in the order they ran; each is printed to ``stream`` (if any) as soon as it is added.

    A failure whose detail was already reported (the same bad setting read by two checks) becomes a
    ``skip`` pointing at the first, so each problem is reported once.
    """

    stream: TextIO | None = None
    checks: list[Check] = field(default_factory=list)
    _started: float = field(default_factory=time.monotonic)
    _pending: bool = False

    def begin(self, name: str) -> None:
        """On a terminal, show which check is waiting (a network call); the next line replaces it."""
        if self.stream is not None and self.stream.isatty():
            print(f"[ .. ] {name} ...", end="", file=self.stream, flush=True)
            self._pending = True

    def add(self, name: str, status: Status, detail: str, hint: str = "") -> None:
        """Record one check (its time is the time since the previous one ended)."""
        now = time.monotonic()
        if status == "fail":
            first = next((c for c in self.checks if c.status == "fail" and c.detail == detail), None)
            if first is not None:
                status, detail, hint = "skip", f"the problem reported under '{first.name}'", ""
        check = Check(name, status, detail, hint, round(now - self._started, 3))
        self._started = now
        self.checks.append(check)
        if self.stream is not None:
            prefix = "\r\033[K" if self._pending else ""
            self._pending = False
            print(prefix + "\n".join(check.lines()), file=self.stream, flush=True)

    def attempt[T](self, name: str, hint: str, check: Callable[[], T]) -> T | None:
        """Run ``check``; any exception becomes a failed line (our errors never carry secrets)."""
        try:
            return check()
        except Exception as exc:  # a diagnostic tool reports every failure and goes on
            self.add(name, "fail", f"{type(exc).__name__}: {exc}", hint)
            return None

    def failed(self, name: str) -> bool:
        """Whether the check called ``name`` failed."""
        return any(c.name == name and c.status == "fail" for c in self.checks)

    def summary(self) -> str:
        """The closing line."""
        failures = sum(c.status == "fail" for c in self.checks)
        warnings = sum(c.status == "warn" for c in self.checks)
        return (
            "all checks passed"
            if not failures and not warnings
            else f"{failures} failed, {warnings} warnings"
        )

    def to_json(self) -> dict[str, Any]:
        """The report as one JSON document."""
        return {
            "ok": not any(c.status == "fail" for c in self.checks),
            "failed": sum(c.status == "fail" for c in self.checks),
            "warnings": sum(c.status == "warn" for c in self.checks),
            "checks": [asdict(c) for c in self.checks],
        }


@contextmanager
def quiet_library_logs() -> Iterator[None]:
    """The library's structured logs (retries, token refreshes) would interleave with the report."""
    from jira_port.observability import SERVICE

    std = logging.getLogger(SERVICE)
    disabled, std.disabled = std.disabled, True
    try:
        yield
    finally:
        std.disabled = disabled
