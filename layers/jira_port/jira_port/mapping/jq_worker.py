"""The jq evaluation worker: a child process that runs jq programs for ``jira_port.mapping.bounded``.

Run as a script (``python jq_worker.py MEMORY_BYTES``), never imported by the package: it needs only
``jq`` and the standard library, so it starts in tens of milliseconds. The parent kills it when a
run passes its deadline; ``RLIMIT_AS`` caps its memory, so a memory bomb ends in a failed allocation
(jq aborts, the process dies) instead of the whole function running out of memory.

Frames on stdin: ``kind (1 byte) | program id (u32) | length (u32) | payload``.

- ``P``: payload is JSON ``{"text": program, "base": $jira_base_url}``; compiles it under that id and
  answers ``K`` (a compile error is answered when the program runs).
- ``R``: payload is the input JSON text; runs the program and answers on stdout with
  ``kind (1 byte) | length (u32) | payload``: ``O`` + the first output in ``marshal``'s format, ``S`` (no
  output, or ``halt``), or ``E`` + jq's error message. ``marshal``, not JSON: the parent is the same
  interpreter (``sys.executable``) and reads only what this process wrote; for an issue page's results
  it costs this process about 1 us per issue instead of 9, and the parent 5 instead of 7. A value nested
  deeper than ``marshal`` goes (2,000 levels) is answered ``J`` + JSON.
- ``B``: payload is several inputs, each ``length (u32) | JSON text``; runs the program on each in turn
  and answers once, ``B`` + the answers (each framed as above) in input order: one round trip for a
  whole batch (the sync function's SQS batch).
"""

from __future__ import annotations

import json
import marshal
import os
import signal
import struct
import sys
from typing import Any

REQUEST = struct.Struct(">cII")
ANSWER = struct.Struct(">cI")
ITEM = struct.Struct(">I")


class _Frames:
    """Requests from stdin, read in large chunks (usually one ``read`` per request)."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = bytearray()

    def _fill(self, size: int) -> bool:
        while len(self._buffer) < size:
            chunk = os.read(self._fd, max(size - len(self._buffer), 1 << 16))
            if not chunk:
                return False
            self._buffer += chunk
        return True

    def next(self) -> tuple[bytes, int, bytes] | None:
        """``(kind, program id, payload)``, or ``None`` at the end of the input."""
        if not self._fill(REQUEST.size):
            return None
        kind, program_id, length = REQUEST.unpack_from(self._buffer)
        end = REQUEST.size + length
        if not self._fill(end):
            return None
        payload = bytes(self._buffer[REQUEST.size : end])
        del self._buffer[:end]
        return kind, program_id, payload


def _answer(fd: int, kind: bytes, payload: bytes) -> None:
    view = memoryview(ANSWER.pack(kind, len(payload)) + payload)
    while view:
        view = view[os.write(fd, view) :]


def _run(program: Any, data: bytes) -> tuple[bytes, bytes]:
    try:
        value = program.input_text(data.decode("utf-8")).first()
    except StopIteration:
        return b"S", b""
    except ValueError as exc:
        return b"E", str(exc).encode("utf-8", "replace")
    except (MemoryError, RecursionError, TypeError, UnicodeDecodeError) as exc:
        return b"E", f"cannot convert the result: {type(exc).__name__}".encode()
    try:
        return b"O", marshal.dumps(value)
    except ValueError:  # nested deeper than marshal goes (2,000 levels): as JSON
        return b"J", json.dumps(value, separators=(",", ":")).encode("utf-8")


def _run_batch(program: Any, payload: bytes) -> bytes:
    """The framed answers to the length-prefixed inputs of a ``B`` request, in order."""
    answers, offset = [], 0
    while offset < len(payload):
        (length,) = ITEM.unpack_from(payload, offset)
        offset += ITEM.size
        kind, out = _run(program, payload[offset : offset + length])
        offset += length
        answers.append(ANSWER.pack(kind, len(out)) + out)
    return b"".join(answers)


def serve(memory_bytes: int) -> None:
    """Answer requests until stdin closes."""
    import resource  # noqa: PLC0415 - POSIX only; imported where it is used

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    import jq  # noqa: PLC0415 - after the limit, so that jq's own allocations count too

    programs: dict[int, Any] = {}
    errors: dict[int, str] = {}
    frames, stdout = _Frames(sys.stdin.fileno()), sys.stdout.fileno()
    while (frame := frames.next()) is not None:
        kind, program_id, payload = frame
        if kind == b"P":
            spec = json.loads(payload)
            try:
                programs[program_id] = jq.compile(spec["text"], args={"jira_base_url": spec["base"]})
            except ValueError as exc:
                errors[program_id] = str(exc)
            _answer(stdout, b"K", b"")
            continue
        program = programs.get(program_id)
        if program is None:
            _answer(stdout, b"E", errors.get(program_id, "unknown program").encode("utf-8", "replace"))
            continue
        if kind == b"B":
            _answer(stdout, b"B", _run_batch(program, payload))
        else:
            _answer(stdout, *_run(program, payload))


if __name__ == "__main__":
    serve(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
