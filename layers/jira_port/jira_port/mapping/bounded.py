"""Bounded jq runs: every mapping evaluation runs in a worker process with a deadline and a memory cap.

The jq binding holds the GIL while it runs, so nothing in the same process (a watchdog thread, a
signal handler) can stop a runaway expression such as ``def f: f; f`` or ``[range(1e12)]``. A worker
process can be stopped: the caller waits for its answer with ``poll`` (the GIL is released, so every
other thread keeps running), and past the deadline kills it and starts a fresh one. ``RLIMIT_AS``
caps the worker's memory, so a memory bomb kills the worker, not the function.

Plain ``subprocess`` pipes, no ``multiprocessing`` (Lambda has no ``/dev/shm``); the worker is a
standalone script (``jq_worker.py``) importing only ``jq``. Idle workers are pooled per memory limit
and shared by every mapping of the process; a thread takes one for a run and gives it back.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jira_port.errors import JiraPortError
from jira_port.mapping.jq_worker import ANSWER, REQUEST

WORKER_SCRIPT = Path(__file__).with_name("jq_worker.py")
DEFAULT_TIMEOUT_SECONDS = 2.0
DEFAULT_MEMORY_MB = 256
_MIB = 1024 * 1024
_IDLE_WORKERS = 4
COMPILE_TIMEOUT_SECONDS = 30


@dataclass(frozen=True, slots=True)
class EvaluationLimits:
    """Time (seconds per event) and memory (MiB of address space of the jq worker) of one evaluation."""

    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    memory_mb: int = DEFAULT_MEMORY_MB


class LimitExceededError(JiraPortError):
    """A jq run passed its deadline (``reason="time"``) or its memory cap (``reason="memory"``)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


class _Worker:
    """One worker process and the programs it has compiled."""

    def __init__(self, memory_mb: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER_SCRIPT), str(memory_mb * _MIB)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            bufsize=0,
            close_fds=True,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self._in = self.process.stdin.fileno()
        self._out = self.process.stdout.fileno()
        self._poller = select.poll()
        self._poller.register(self._out, select.POLLIN)
        self.known: set[int] = set()
        with _pools_lock:
            _workers.add(self)

    def compile(self, program_id: int, spec: bytes) -> None:
        """Have the worker compile a program (first use only; not part of any event's time)."""
        if program_id not in self.known:
            self._write(REQUEST.pack(b"P", program_id, len(spec)) + spec)
            self._read_at_least(ANSWER.size, time.monotonic() + COMPILE_TIMEOUT_SECONDS)
            self.known.add(program_id)

    def run(self, program_id: int, data: bytes, deadline: float) -> tuple[bytes, bytes]:
        """Send the input to a compiled program; wait for the answer until ``deadline``."""
        self._write(REQUEST.pack(b"R", program_id, len(data)) + data)
        answer = self._read_at_least(ANSWER.size, deadline)
        kind, length = ANSWER.unpack_from(answer)
        if len(answer) < ANSWER.size + length:
            answer += self._read_at_least(ANSWER.size + length - len(answer), deadline)
        return kind, bytes(answer[ANSWER.size :])

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._in, view) :]
        except BrokenPipeError:
            raise self._died() from None

    def _read_at_least(self, size: int, deadline: float) -> bytearray:
        """At least ``size`` bytes (the worker answers one request at a time: never more than one answer)."""
        data = bytearray()
        while len(data) < size:
            wait = deadline - time.monotonic()
            if wait <= 0 or not self._poller.poll(wait * 1000):
                raise LimitExceededError("time", "did not finish in time")
            chunk = os.read(self._out, max(size - len(data), 1 << 16))
            if not chunk:
                raise self._died()
            data += chunk
        return data

    def _died(self) -> LimitExceededError:
        code = self.process.wait()
        return LimitExceededError("memory", f"the jq worker died (exit status {code}): out of memory")

    def close(self) -> None:
        """Stop the process (killed: it may be stuck in jq) and reap it."""
        with _pools_lock:
            _workers.discard(self)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


class BoundedJq:
    """Runs jq programs in pooled worker processes under a memory cap; thread-safe."""

    def __init__(self, memory_mb: int) -> None:
        self.memory_mb = memory_mb
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._ids: dict[tuple[str, str | None], tuple[int, bytes]] = {}

    def first(self, text: str, base: str | None, data: str | bytes, deadline: float) -> Any:
        """The first output of program ``text`` on input ``data``, like ``jq.compile(...).first()``.

        Raises ``StopIteration`` (no output), ``ValueError`` (jq error) or ``LimitExceededError``.
        """
        program_id, spec = self._program(text, base)
        started = time.monotonic()
        worker = self._take()
        try:
            worker.compile(program_id, spec)
            # Starting a worker and compiling a program do not count against the event's bound.
            deadline += time.monotonic() - started
            encoded = data.encode("utf-8") if isinstance(data, str) else data
            kind, payload = worker.run(program_id, encoded, deadline)
        except BaseException:
            worker.close()  # stuck or dead: never reused
            raise
        self._give_back(worker)
        if kind == b"O":
            return json.loads(payload)
        if kind == b"S":
            raise StopIteration
        raise ValueError(payload.decode("utf-8", "replace"))

    def close(self) -> None:
        """Stop the idle workers (workers in use stop when their run ends)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.close()

    def _program(self, text: str, base: str | None) -> tuple[int, bytes]:
        key = (text, base)
        with self._lock:
            known = self._ids.get(key)
            if known is None:
                spec = json.dumps({"text": text, "base": base}).encode("utf-8")
                known = self._ids[key] = (len(self._ids) + 1, spec)
        return known

    def _take(self) -> _Worker:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return _Worker(self.memory_mb)

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            if len(self._idle) < _IDLE_WORKERS:
                self._idle.append(worker)
                return
        worker.close()


_pools: dict[int, BoundedJq] = {}
_pools_lock = threading.Lock()
# Every live worker, idle or running: a worker stuck in a runaway expression never reads the end of its
# input, so the exit of this process kills them all rather than leave one spinning.
_workers: set[_Worker] = set()


def shared_runner(memory_mb: int) -> BoundedJq:
    """The process-wide runner for ``memory_mb`` (workers are generic: any mapping can use them)."""
    with _pools_lock:
        runner = _pools.get(memory_mb)
        if runner is None:
            runner = _pools[memory_mb] = BoundedJq(memory_mb)
        return runner


@atexit.register
def _close_all() -> None:
    with _pools_lock:
        workers = list(_workers)
    for worker in workers:
        worker.close()
