"""Injected latency and throttling, changeable while the emulator runs (seeded, thread-safe)."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field


@dataclass
class JiraFaults:
    """``latency`` seconds before every API answer; ``throttle_rate`` of API calls answered 429 with
    ``Retry-After: retry_after`` (plus ``X-RateLimit-*`` and ``RateLimit-Reason``); ``short_page_rate`` of
    Cloud ``/search/jql`` pages cut short (possibly to zero issues) while still carrying a
    ``nextPageToken``, which the enhanced search is allowed to do, and of Cloud ``/users/search`` and
    sprint pages cut short (to at least one item) before their end. Set the attributes at any time;
    ``seed`` makes the sequence reproducible."""

    latency: float = 0.0
    throttle_rate: float = 0.0
    retry_after: float = 1.0
    seed: int = 0
    reason: str = "jira-burst-based"
    short_page_rate: float = 0.0
    _rng: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)
    throttled: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.validate()
        self._rng = random.Random(self.seed)

    def validate(self) -> None:
        """Raise ``ValueError`` for out-of-range settings."""
        if self.latency < 0 or self.retry_after < 0:
            raise ValueError("latency and retry_after must be >= 0")
        if not 0.0 <= self.throttle_rate <= 1.0 or not 0.0 <= self.short_page_rate <= 1.0:
            raise ValueError("throttle_rate and short_page_rate must be within [0, 1]")

    def should_throttle(self) -> bool:
        """Roll the dice for one API call (counts the throttled ones)."""
        if self.throttle_rate <= 0:
            return False
        with self._lock:
            hit = self._rng.random() < self.throttle_rate
            if hit:
                self.throttled += 1
            return hit

    def short_page(self, size: int) -> int | None:
        """How many of a ``size``-issue Cloud page to return when this page is cut short (None: all)."""
        if self.short_page_rate <= 0 or size <= 0:
            return None
        with self._lock:
            if self._rng.random() >= self.short_page_rate:
                return None
            return self._rng.randrange(size)

    def update(self, **changes: float) -> None:
        """Change ``latency``, ``throttle_rate``, ``retry_after`` or ``short_page_rate`` (validated)."""
        unknown = set(changes) - {"latency", "throttle_rate", "retry_after", "short_page_rate"}
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        old = {k: getattr(self, k) for k in changes}
        for key, value in changes.items():
            setattr(self, key, float(value))
        try:
            self.validate()
        except ValueError:
            for key, value in old.items():
                setattr(self, key, value)
            raise

    def as_dict(self) -> dict[str, float]:
        return {
            "latency": self.latency,
            "throttle_rate": self.throttle_rate,
            "retry_after": self.retry_after,
            "short_page_rate": self.short_page_rate,
        }
