"""Handing items from worker threads to one consumer through a bounded queue that a stop event can abandon."""

from __future__ import annotations

import queue
import threading

POLL_SECONDS = 0.1


def put_unless_stopped[T](target: queue.Queue[T], item: T, stop: threading.Event) -> bool:
    """Put ``item`` (waiting while the queue is full); False once ``stop`` is set and the item was dropped,
    so a worker never blocks forever on a consumer that went away."""
    while not stop.is_set():
        try:
            target.put(item, timeout=POLL_SECONDS)
        except queue.Full:
            continue
        return True
    return False
