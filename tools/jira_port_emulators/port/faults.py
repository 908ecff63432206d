"""Fault injection (latency, 5xx, 429) and Port's rate-limit window headers.

A fault is drawn before a request touches any state, so a faulted request changes nothing.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PortFaults:
    """What to inject: ``latency`` seconds per request, the probability of a 500/503
    (``error_rate``) and of a 429 with ``Retry-After: retry_after`` (``throttle_rate``).
    ``seed`` makes the sequence of draws repeatable; ``include_auth`` also faults the token route.
    """

    latency: float = 0.0
    error_rate: float = 0.0
    throttle_rate: float = 0.0
    retry_after: float = 1.0
    seed: int | None = 0
    include_auth: bool = True

    def __post_init__(self) -> None:
        if self.latency < 0 or self.retry_after < 0:
            raise ValueError("latency and retry_after must be >= 0")
        if not 0 <= self.error_rate <= 1 or not 0 <= self.throttle_rate <= 1:
            raise ValueError("error_rate and throttle_rate are probabilities (0..1)")
        if self.error_rate + self.throttle_rate > 1:
            raise ValueError("error_rate + throttle_rate must not exceed 1")


@dataclass(frozen=True, slots=True)
class Fault:
    """An injected failure: status, Port-style error code and extra headers."""

    status: int
    error: str
    message: str
    headers: dict[str, str]


class FaultInjector:
    """Draws faults from a seeded RNG; thread-safe and reconfigurable at runtime."""

    def __init__(self, faults: PortFaults) -> None:
        self._lock = threading.Lock()
        self._faults = faults
        self._rng = random.Random(faults.seed)

    @property
    def faults(self) -> PortFaults:
        """The current configuration."""
        return self._faults

    @faults.setter
    def faults(self, value: PortFaults) -> None:
        with self._lock:
            self._faults = value
            self._rng = random.Random(value.seed)

    def draw(self, *, auth_route: bool) -> tuple[float, Fault | None]:
        """(latency to add, fault or None) for one request."""
        with self._lock:
            config = self._faults
            roll = self._rng.random()
            pick_503 = self._rng.random() < 0.5
        if auth_route and not config.include_auth:
            return config.latency, None
        if roll < config.throttle_rate:
            wait = config.retry_after
            text = str(int(wait)) if float(wait).is_integer() else f"{wait:.3f}"
            fault = Fault(429, "rate_limited", "too many requests (injected)", {"Retry-After": text})
            return config.latency, fault
        if roll < config.throttle_rate + config.error_rate:
            status = 503 if pick_503 else 500
            code = "service_unavailable" if status == 503 else "internal_error"
            return config.latency, Fault(status, code, "injected server error", {})
        return config.latency, None


class RateWindow:
    """Port's organisation-level window (``x-ratelimit-*`` headers; 429 once it is spent)."""

    def __init__(self, limit: int, period: int, clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self.period = period
        self._clock = clock
        self._lock = threading.Lock()
        self._window_start = clock()
        self._used = 0

    def take(self) -> tuple[dict[str, str], bool]:
        """Count one request; return the headers and whether it is over the limit."""
        with self._lock:
            now = self._clock()
            if now - self._window_start >= self.period:
                self._window_start, self._used = now, 0
            self._used += 1
            reset = math.ceil(self._window_start + self.period)
            over = self._used > self.limit
            headers = {
                "x-ratelimit-period": str(self.period),
                "x-ratelimit-limit": str(self.limit),
                "x-ratelimit-remaining": str(max(0, self.limit - self._used)),
                "x-ratelimit-reset": str(reset),
            }
        return headers, over

    def seconds_to_reset(self) -> int:
        """Whole seconds until the window resets."""
        with self._lock:
            return max(1, math.ceil(self._window_start + self.period - self._clock()))
