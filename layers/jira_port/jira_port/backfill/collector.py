"""Fewer garbage collections during the issue pass (``fewer_collections``).

A decoded search page holds about 6,000 containers (dicts and lists), which die with the page by
reference counting. At CPython's default first-generation threshold (700 allocations) the cyclic
collector ran about 50 times per 3,000 issues and scanned the pages in flight each time: 20-35 us CPU per
issue (bench/bench_backfill.py). During a pass the threshold is ``PASS_THRESHOLD``, so pages die before
any scan; only cyclic garbage waits longer (at most that many objects, a few MB). The setting is the
process's: the first pass to start saves it, the last to end restores it.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

PASS_THRESHOLD = 50_000


class _Hold:
    """The passes running now and the thresholds to restore when the last one ends."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.passes = 0
        self.saved: tuple[int, int, int] = gc.get_threshold()


_hold = _Hold()


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Raise the first generation's collection threshold to ``PASS_THRESHOLD`` for the ``with`` body."""
    with _hold.lock:
        if _hold.passes == 0:
            _hold.saved = gc.get_threshold()
            gc.set_threshold(max(PASS_THRESHOLD, _hold.saved[0]), *_hold.saved[1:])
        _hold.passes += 1
    try:
        yield
    finally:
        with _hold.lock:
            _hold.passes -= 1
            if _hold.passes == 0:
                gc.set_threshold(*_hold.saved)
