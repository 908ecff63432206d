"""The local ``ItemTable`` implementations: in memory (dry runs, tests, benchmarks), a state file (the CLI).

The Lambda keeps its state in DynamoDB (``jira_port.state.DynamoTable``); these keep the same
items, with the same semantics, on this machine.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jira_port.errors import ConfigError
from jira_port.state import StateError

_MIN_JOURNAL = 1000  # journal lines before a compaction, at least (else twice the table's items)


class MemoryTable:
    """An in-process table (dry runs, tests, benchmarks). Thread-safe."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        with self._lock:
            item = self._items.get((pk, sk))
            return None if item is None else json.loads(json.dumps(item["data"]))

    def put(self, pk: str, sk: str, data: dict[str, Any], *, expires_at: int | None = None) -> None:
        with self._lock:
            self._items[(pk, sk)] = {"data": json.loads(json.dumps(data)), "expiresAt": expires_at}
            self._changed([(pk, sk)])

    def query(self, pk: str, sk_prefix: str) -> Iterator[tuple[str, dict[str, Any]]]:
        with self._lock:
            rows = sorted(
                (k[1], v["data"]) for k, v in self._items.items() if k[0] == pk and k[1].startswith(sk_prefix)
            )
        for sk, data in rows:
            yield sk, json.loads(json.dumps(data))

    def put_many(self, pk: str, sks: list[str], data: dict[str, Any]) -> None:
        text = json.dumps(data)
        with self._lock:
            for sk in sks:
                self._items[(pk, sk)] = {"data": json.loads(text), "expiresAt": None}
            self._changed([(pk, sk) for sk in sks])

    def delete_many(self, pk: str, sks: list[str]) -> None:
        with self._lock:
            for sk in sks:
                self._items.pop((pk, sk), None)
            self._changed([(pk, sk) for sk in sks])

    def claim(self, pk: str, sk: str, owner: str, expires_at: int, *, now: int, takeover: str | None) -> bool:
        with self._lock:
            item = self._items.get((pk, sk))
            if item is not None:
                holder = item["data"].get("owner")
                expired = (item.get("expiresAt") or 0) < now
                if not expired and holder not in (owner, takeover):
                    return False
            self._items[(pk, sk)] = {"data": {"owner": owner}, "expiresAt": expires_at}
            self._changed([(pk, sk)])
            return True

    def release(self, pk: str, sk: str, owner: str) -> bool:
        with self._lock:
            item = self._items.get((pk, sk))
            if item is None or item["data"].get("owner") != owner:
                return False
            del self._items[(pk, sk)]
            self._changed([(pk, sk)])
            return True

    def snapshot(self) -> MemoryTable:
        """A copy of the current contents (tests use it to model a crash at this instant)."""
        copy = MemoryTable()
        with self._lock:
            copy._items = {k: json.loads(json.dumps(v)) for k, v in self._items.items()}
        return copy

    def _changed(self, keys: list[tuple[str, str]]) -> None:
        """Hook for persistent subclasses: ``keys`` were stored or removed; called with the lock held."""


class FileTable(MemoryTable):
    """A table persisted to a JSON file and its journal after every change (the local CLI's state).

    Every change appends its items (or their removal) as JSON lines to ``<state file>.journal``, so a
    write costs what it changed, not the whole table (the ownership ledger alone holds one item per
    entity). Loading replays the journal over the file (a line torn by a crash is skipped: its change
    was never acknowledged) and compacts both into the file, as does a journal grown past the table's
    size. The file is written to a temporary one that replaces it, so a crash never leaves it torn.
    Expired items are dropped when the file is loaded.

    Items whose sk starts with one of ``log_prefixes`` (the bulky per-page seen identifiers) are not
    kept in memory nor rewritten: each ``put`` appends a line to a JSON Lines file named after the
    pk and the sk's first two ``#`` segments, in ``<state file>.d/``. A ``query`` of such a prefix
    yields every line written, so a key written twice comes back twice (callers must tolerate it).
    Log files untouched for ``log_ttl_days`` are removed on load.
    """

    def __init__(
        self, path: Path, *, log_prefixes: tuple[str, ...] = ("seen#",), log_ttl_days: int = 14
    ) -> None:
        super().__init__()
        self.path = path
        self.journal = path.with_name(path.name + ".journal")
        self.log_dir = path.with_name(path.name + ".d")
        self.log_prefixes = log_prefixes
        self._log_lock = threading.Lock()
        self._journaled = 0
        if path.exists():
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
                self._load(raw["items"])
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise ConfigError(f"state file {path} is unreadable: {type(exc).__name__}") from None
        if self.journal.exists():
            self._replay()
            with self._lock:
                self._compact()
        self._purge_logs(log_ttl_days)

    def _load(self, rows: list[dict[str, Any]]) -> None:
        now = int(time.time())
        for row in rows:
            key = (row["pk"], row["sk"])
            if row.get("deleted") or (row.get("expiresAt") is not None and row["expiresAt"] < now):
                self._items.pop(key, None)
            else:
                self._items[key] = {"data": row["data"], "expiresAt": row.get("expiresAt")}

    def _replay(self) -> None:
        rows = []
        try:
            with self.journal.open(encoding="utf-8") as handle:
                for line in handle:
                    try:
                        rows.append(json.loads(line))
                    except ValueError:
                        break  # torn by a crash mid-write: nothing after it was acknowledged
            self._load(rows)
        except (OSError, KeyError, TypeError) as exc:
            raise ConfigError(f"state journal {self.journal} is unreadable: {type(exc).__name__}") from None

    def _purge_logs(self, ttl_days: int) -> None:
        if not self.log_dir.is_dir():
            return
        cutoff = time.time() - ttl_days * 86400
        for log in self.log_dir.glob("*.jsonl"):
            if log.stat().st_mtime < cutoff:
                log.unlink(missing_ok=True)

    def _log_path(self, pk: str, sk: str) -> Path | None:
        if not sk.startswith(self.log_prefixes):
            return None
        head = "#".join(sk.split("#")[:2])
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{pk}__{head}")
        return self.log_dir / f"{name}.jsonl"

    def put(self, pk: str, sk: str, data: dict[str, Any], *, expires_at: int | None = None) -> None:
        log = self._log_path(pk, sk)
        if log is None:
            super().put(pk, sk, data, expires_at=expires_at)
            return
        line = json.dumps({"sk": sk, "data": data}, separators=(",", ":")) + "\n"
        with self._log_lock:
            try:
                self.log_dir.mkdir(parents=True, exist_ok=True)
                with log.open("a", encoding="utf-8") as handle:
                    handle.write(line)
            except OSError as exc:
                raise StateError(f"cannot write state log {log}: {exc.strerror}") from None

    def query(self, pk: str, sk_prefix: str) -> Iterator[tuple[str, dict[str, Any]]]:
        log = self._log_path(pk, sk_prefix)
        if log is None:
            yield from super().query(pk, sk_prefix)
            return
        if not log.exists():
            return
        with log.open(encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except ValueError:
                    continue  # a line torn by a crash mid-write: its page is re-read and re-logged
                if row["sk"].startswith(sk_prefix):
                    yield row["sk"], row["data"]

    def _changed(self, keys: list[tuple[str, str]]) -> None:
        if self._journaled + len(keys) > max(_MIN_JOURNAL, 2 * len(self._items)):
            self._compact()
            return
        lines = []
        for pk, sk in keys:
            item = self._items.get((pk, sk))
            row = {"pk": pk, "sk": sk, "deleted": True} if item is None else {"pk": pk, "sk": sk, **item}
            lines.append(json.dumps(row, separators=(",", ":")) + "\n")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.journal.open("a", encoding="utf-8") as handle:
                handle.write("".join(lines))
        except OSError as exc:
            raise StateError(f"cannot write state journal {self.journal}: {exc.strerror}") from None
        self._journaled += len(keys)

    def _compact(self) -> None:
        """Write the whole table to the file, then drop the journal (called with the lock held)."""
        rows = [{"pk": k[0], "sk": k[1], **v} for k, v in sorted(self._items.items())]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"version": 1, "items": rows}, separators=(",", ":")), encoding="utf-8")
            tmp.replace(self.path)
            self.journal.unlink(missing_ok=True)
        except OSError as exc:
            raise StateError(f"cannot write state file {self.path}: {exc.strerror}") from None
        self._journaled = 0
