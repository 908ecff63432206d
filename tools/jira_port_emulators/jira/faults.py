"""Injected latency and throttling, changeable while the emulator runs (seeded, thread-safe)."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field


@dataclass
class JiraFaults:
    """``latency`` seconds before every API answer; ``throttle_rate`` of API calls answered 429 with
    ``Retry-After: retry_after`` (plus ``X-RateLimit-*`` and ``RateLimit-Reason``). Set the attributes
    at any time; ``seed`` makes the sequence of throttled calls reproducible."""

    latency: float = 0.0
    throttle_rate: float = 0.0
    retry_after: float = 1.0
    seed: int = 0
    reason: str = "jira-burst-based"
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
        if not 0.0 <= self.throttle_rate <= 1.0:
            raise ValueError("throttle_rate must be within [0, 1]")

    def should_throttle(self) -> bool:
        """Roll the dice for one API call (counts the throttled ones)."""
        if self.throttle_rate <= 0:
            return False
        with self._lock:
            hit = self._rng.random() < self.throttle_rate
            if hit:
                self.throttled += 1
            return hit

    def update(self, **changes: float) -> None:
        """Change ``latency``, ``throttle_rate`` or ``retry_after`` (validated)."""
        unknown = set(changes) - {"latency", "throttle_rate", "retry_after"}
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
        return {"latency": self.latency, "throttle_rate": self.throttle_rate, "retry_after": self.retry_after}
