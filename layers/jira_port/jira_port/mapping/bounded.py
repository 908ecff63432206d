"""Bounded jq runs: every mapping evaluation runs in a worker process with a deadline and a memory cap.

The jq binding holds the GIL while it runs, so nothing in the same process (a watchdog thread, a
signal handler) can stop a runaway expression such as ``def f: f; f`` or ``[range(1e12)]``. A worker
process can be stopped: the caller waits for its answer with ``poll`` (the GIL is released, so every
other thread keeps running), and past the deadline kills it and starts a fresh one. ``RLIMIT_AS``
caps the worker's memory, so a memory bomb kills the worker, not the function.

Plain ``subprocess`` pipes, no ``multiprocessing`` (Lambda has no ``/dev/shm``); the worker is a
standalone script (``jq_worker.py``) importing only ``jq``. Idle workers are pooled per memory limit
and shared by every mapping of the process; a thread takes one for a run and gives it back.

A run is a synchronous call: the caller sleeps while the worker works. Each worker is pinned to one
CPU, and the calling thread joins it on that CPU for the length of the run (and returns to its own CPU
set after): on another core, every run paid a cross-core wake-up and ran jq on cold caches, which cost
more than the pipe (about +50 % CPU per event against +15 % on the same core; docs/benchmarks.md).
"""

from __future__ import annotations

import atexit
import itertools
import json
import marshal
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jira_port.errors import JiraPortError
from jira_port.mapping.jq_worker import ANSWER, ITEM, REQUEST

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


Answer = tuple[bytes, bytes]  # (kind, payload) as framed by jq_worker


def answer_value(answer: Answer) -> Any:
    """The output an answer carries; ``StopIteration`` (no output) or ``ValueError`` (jq error)."""
    kind, payload = answer
    if kind == b"O":
        return marshal.loads(payload)  # noqa: S302 - written by our own worker (``jq_worker._run``)
    if kind == b"J":
        return json.loads(payload)
    if kind == b"S":
        raise StopIteration
    raise ValueError(payload.decode("utf-8", "replace"))


_next_cpu = itertools.count()


def _pick_cpu() -> int | None:
    """A CPU for a new worker: the allowed CPUs in turn (``None`` where affinity is unsupported)."""
    try:
        allowed = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None
    return allowed[next(_next_cpu) % len(allowed)] if allowed else None


def _pin(pid: int, cpus: set[int]) -> bool:
    try:
        os.sched_setaffinity(pid, cpus)
    except OSError:  # a cpuset that changed, or a sandbox that forbids it: run unpinned
        return False
    return True


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
        self.cpus: set[int] | None = None  # pinned once started (see compile)
        self.known: set[int] = set()
        with _pools_lock:
            _workers.add(self)

    def compile(self, program_id: int, spec: bytes) -> None:
        """Have the worker compile a program (first use only; not part of any event's time)."""
        if program_id not in self.known:
            self.request(b"P", program_id, spec, time.monotonic() + COMPILE_TIMEOUT_SECONDS)
            self.known.add(program_id)
            if self.cpus is None:
                # Pinned only now: its start (interpreter, jq) may use another core, in parallel with the
                # function's own imports at cold start.
                cpu = _pick_cpu()
                self.cpus = {cpu} if cpu is not None and _pin(self.process.pid, {cpu}) else None

    def request(self, kind: bytes, program_id: int, data: bytes, deadline: float) -> Answer:
        """Send one request; wait for its answer until ``deadline`` on the worker's CPU."""
        home = self._join_cpu()
        try:
            self._write(REQUEST.pack(kind, program_id, len(data)), data)
            return self._read(deadline)
        finally:
            if home is not None:
                _pin(0, home)

    def _join_cpu(self) -> set[int] | None:
        """Move the calling thread onto this worker's CPU; its CPU set before (``None``: not moved)."""
        if self.cpus is None:
            return None
        home = os.sched_getaffinity(0)
        if home == self.cpus or not _pin(0, self.cpus):
            return None
        return home

    def _write(self, header: bytes, data: bytes) -> None:
        try:
            sent = os.writev(self._in, [header, data])
            if sent < len(header) + len(data):  # a pipe takes 64 KiB at once; larger inputs go in parts
                view = memoryview(header + data)[sent:]
                while view:
                    view = view[os.write(self._in, view) :]
        except BrokenPipeError:
            raise self._died() from None

    def _read(self, deadline: float) -> Answer:
        """One answer (the worker answers one request at a time: never more than one)."""
        data = b""
        size = ANSWER.size
        while len(data) < size:
            wait = deadline - time.monotonic()
            if wait <= 0 or not self._poller.poll(wait * 1000):
                raise LimitExceededError("time", "did not finish in time")
            chunk = os.read(self._out, max(size - len(data), 1 << 16))
            if not chunk:
                raise self._died()
            data += chunk
            if size == ANSWER.size and len(data) >= size:
                size += ANSWER.unpack_from(data)[1]
        return data[:1], data[ANSWER.size :]

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
        encoded = data.encode("utf-8") if isinstance(data, str) else data
        return answer_value(self._call(text, base, b"R", encoded, deadline))

    def first_each(
        self, text: str, base: str | None, inputs: Sequence[bytes], deadline: float
    ) -> list[Answer]:
        """The answer of program ``text`` to each input, all in one round trip that must end by
        ``deadline`` (``LimitExceededError`` otherwise: which input ran away is not known)."""
        payload = b"".join(ITEM.pack(len(data)) + data for data in inputs)
        kind, out = self._call(text, base, b"B", payload, deadline)
        if kind != b"B":  # the program did not compile: the same answer for every input
            return [(kind, out)] * len(inputs)
        answers, offset = [], 0
        while offset < len(out):
            one, length = ANSWER.unpack_from(out, offset)
            offset += ANSWER.size + length
            answers.append((one, out[offset - length : offset]))
        return answers

    def _call(self, text: str, base: str | None, kind: bytes, data: bytes, deadline: float) -> Answer:
        program_id, spec = self._program(text, base)
        started = time.monotonic()
        worker = self._take()
        try:
            worker.compile(program_id, spec)
            # Starting a worker and compiling a program do not count against the event's bound.
            answer = worker.request(kind, program_id, data, deadline + time.monotonic() - started)
        except BaseException:
            worker.close()  # stuck or dead: never reused
            raise
        self._give_back(worker)
        return answer

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
