"""Delivers webhook events the way Jira does: signed, identified, retried, sometimes twice, unordered.

- ``X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`` when a secret is set;
- ``X-Atlassian-Webhook-Identifier`` (the same on every retry), ``X-Atlassian-Webhook-Flow``;
- ``X-Atlassian-Webhook-Retry: n`` on the n-th retry; retries on 408, 409, 425, 429, 5xx and connection
  errors or timeouts, at most 5 (Jira spaces them 5-15 minutes apart; here ``retry_delays``); never on
  other 4xx;
- ``data_center=True`` models Jira Data Center: no ``X-Atlassian-Webhook-Identifier`` (nor flow/retry
  headers) and no retry at all, so a 5xx or a timeout loses the event;
- ``duplicate_rate`` re-delivers a share of events (same identifier); ``hold=True`` keeps events until
  ``flush()``, which delivers them in a seeded-shuffled order.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import urllib3

RETRY_STATUSES = frozenset({408, 409, 425, 429})
MAX_RETRIES = 5
USER_AGENT = "Atlassian Webhook HTTP Client"


def sign(secret: str, body: bytes) -> str:
    """``X-Hub-Signature`` value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def should_retry(status: int | None) -> bool:
    """Jira's rule: None (connection error/timeout), 408, 409, 425, 429 and 5xx are retried."""
    return status is None or status in RETRY_STATUSES or 500 <= status <= 599


@dataclass
class Attempt:
    status: int | None
    error: str | None = None


@dataclass
class Delivery:
    """One event's delivery history (a duplicate is a second ``Delivery`` with the same identifier)."""

    identifier: str
    event: str
    flow: str
    body: bytes
    attempts: list[Attempt] = field(default_factory=list)
    duplicate: bool = False

    @property
    def delivered(self) -> bool:
        return (
            bool(self.attempts)
            and self.attempts[-1].status is not None
            and 200 <= self.attempts[-1].status < 300
        )


class WebhookSender:
    """Posts webhook bodies to ``url``; synchronous by default, or from a worker (``background=True``).

    ``deliveries`` keeps the history of the latest ``keep`` deliveries (attempts, statuses, raw bodies).
    """

    def __init__(
        self,
        url: str,
        secret: str | None = None,
        *,
        timeout: float = 5.0,
        max_retries: int = MAX_RETRIES,
        retry_delays: Sequence[float] = (0.05, 0.1, 0.2, 0.4, 0.8),
        duplicate_rate: float = 0.0,
        hold: bool = False,
        seed: int = 0,
        background: bool = False,
        sleep: Callable[[float], None] = time.sleep,
        keep: int = 10_000,
        data_center: bool = False,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("webhook url must be http(s)")
        if not 0 <= max_retries <= MAX_RETRIES:
            raise ValueError(f"max_retries must be within [0, {MAX_RETRIES}] (Jira retries at most 5 times)")
        self.url = url
        self.secret = secret
        self.timeout = timeout
        self.data_center = data_center
        self.max_retries = 0 if data_center else max_retries
        self.retry_delays = tuple(retry_delays) or (0.0,)
        self.duplicate_rate = duplicate_rate
        self.hold = hold
        self.deliveries: deque[Delivery] = deque(maxlen=keep)  # the latest ``keep`` deliveries
        self.errors: list[str] = []
        self._sleep = sleep
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._held: list[tuple[dict[str, Any], str]] = []
        self._session = urllib3.PoolManager(retries=False)
        self._queue: queue.Queue[tuple[dict[str, Any], str] | None] | None = None
        self._worker: threading.Thread | None = None
        if background:
            self._queue = queue.Queue()
            self._worker = threading.Thread(target=self._work, name="jira-webhook-sender", daemon=True)
            self._worker.start()

    def __repr__(self) -> str:
        return f"WebhookSender(url={self.url!r}, signed={self.secret is not None})"

    def emit(self, body: dict[str, Any], *, flow: str = "Primary") -> None:
        """Deliver now, queue for the worker, or hold until ``flush()``, per the sender's mode."""
        if self.hold:
            with self._lock:
                self._held.append((body, flow))
        elif self._queue is not None:
            self._queue.put((body, flow))
        else:
            self.send(body, flow=flow)

    def flush(self) -> list[Delivery]:
        """Deliver the held events in a seeded random order (Jira promises no order)."""
        with self._lock:
            held, self._held = self._held, []
            self._rng.shuffle(held)
        return [self.send(body, flow=flow) for body, flow in held]

    def drain(self, timeout: float = 30.0) -> None:
        """Wait until the background worker has delivered everything queued so far."""
        if self._queue is None:
            return
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        if self._queue.unfinished_tasks:
            raise TimeoutError("webhook deliveries still pending")

    def close(self) -> None:
        """Stop the worker (after what is queued) and close connections."""
        if self._queue is not None and self._worker is not None:
            self._queue.put(None)
            self._worker.join(timeout=30)
        self._session.clear()

    def _work(self) -> None:
        assert self._queue is not None
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                self.send(item[0], flow=item[1])
            except Exception as exc:  # a sender thread must survive a bad event; keep the evidence
                self.errors.append(f"{type(exc).__name__}: {exc}")
            finally:
                self._queue.task_done()

    def send(self, body: dict[str, Any], *, flow: str = "Primary") -> Delivery:
        """Deliver one event now, with Jira's retries; maybe once more as a duplicate."""
        raw = json.dumps(body, separators=(",", ":")).encode()
        with self._lock:
            identifier = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
            duplicate = self._rng.random() < self.duplicate_rate
        delivery = self._deliver(Delivery(identifier, str(body.get("webhookEvent", "")), flow, raw))
        if duplicate:
            self._deliver(Delivery(identifier, delivery.event, flow, raw, duplicate=True))
        return delivery

    def _deliver(self, delivery: Delivery) -> Delivery:
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT}
        if not self.data_center:
            headers["X-Atlassian-Webhook-Identifier"] = delivery.identifier
            headers["X-Atlassian-Webhook-Flow"] = delivery.flow
        if self.secret:
            headers["X-Hub-Signature"] = sign(self.secret, delivery.body)
        for retry in range(self.max_retries + 1):
            if retry:
                self._sleep(self.retry_delays[min(retry, len(self.retry_delays)) - 1])
                headers["X-Atlassian-Webhook-Retry"] = str(retry)
            try:
                response = self._session.request(
                    "POST", self.url, body=delivery.body, headers=headers, timeout=self.timeout,
                    redirect=False,
                )  # fmt: skip
                attempt = Attempt(response.status)
            except urllib3.exceptions.HTTPError as exc:
                attempt = Attempt(None, type(exc).__name__)
            delivery.attempts.append(attempt)
            if not should_retry(attempt.status):
                break
        with self._lock:
            self.deliveries.append(delivery)
        return delivery
