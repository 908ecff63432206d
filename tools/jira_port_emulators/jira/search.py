"""Search execution: candidates from the plan (bisect on sorted id lists), ordering, paging, tokens.

Matching is lazy for the common ``ORDER BY id`` queries: a page of P issues touches about P candidates,
so paging 100,000 issues costs O(n) overall, not O(n^2).
"""

from __future__ import annotations

import base64
import bisect
import functools
import hashlib
import heapq
import hmac
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from jira_port_emulators.jira.jql_eval import CompiledQuery
from jira_port_emulators.jira.jql_parse import JQLError
from jira_port_emulators.jira.model import Dataset, Issue

DEFAULT_ORDER = [("key", True)]  # Jira's default when the JQL has no ORDER BY


@dataclass(frozen=True, slots=True)
class Segment:
    ids: list[int]
    start: int
    stop: int

    def __len__(self) -> int:
        return self.stop - self.start


def _segments(
    ds: Dataset,
    query: CompiledQuery,
    visible: frozenset[int],
    above: int | None = None,
    below: int | None = None,
) -> list[Segment]:
    plan = query.plan
    projects = set(visible) if plan.projects is None else plan.projects & visible
    lo, hi = plan.lo, plan.hi
    if above is not None:
        lo = above + 1 if lo is None else max(lo, above + 1)
    if below is not None:
        hi = below - 1 if hi is None else min(hi, below - 1)
    lists = (
        [ds.order] if projects == set(ds.projects) else [ds.by_project.get(p, []) for p in sorted(projects)]
    )
    segments = []
    for ids in lists:
        start = 0 if lo is None else bisect.bisect_left(ids, lo)
        stop = len(ids) if hi is None else bisect.bisect_right(ids, hi)
        if stop > start:
            segments.append(Segment(ids, start, stop))
    return segments


def _ascending(segments: list[Segment]) -> Iterable[int]:
    slices = [itertools.islice(s.ids, s.start, s.stop) for s in segments]
    return slices[0] if len(slices) == 1 else heapq.merge(*slices)


def _descending(segments: list[Segment]) -> Iterable[int]:
    slices = [(s.ids[i] for i in range(s.stop - 1, s.start - 1, -1)) for s in segments]
    return slices[0] if len(slices) == 1 else heapq.merge(*slices, reverse=True)


def _sort_key(ds: Dataset, name: str, issue: Issue) -> Any:
    if name == "key":
        return (ds.projects[issue.project_id].key, issue.number)
    if name == "created":
        return issue.created
    if name == "updated":
        return issue.updated
    return issue.id


def id_ordered(query: CompiledQuery) -> bool:
    """Whether ``query`` is ordered by id alone (paged by keyset rather than by offset)."""
    return len(query.order) == 1 and query.order[0][0] == "id"


@dataclass
class Matches:
    """Issues of one page plus what paging needs to know."""

    issues: list[Issue]
    more: bool
    total: int | None
    offset: int  # position after this page in the full ordering


def run(
    ds: Dataset,
    query: CompiledQuery,
    visible: frozenset[int],
    *,
    start: int = 0,
    limit: int = 50,
    after_id: int | None = None,
    count_total: bool = False,
) -> Matches:
    """One page of ``query``. ``after_id`` continues ``ORDER BY id ASC`` by keyset; ``start`` skips."""
    order = query.order or DEFAULT_ORDER
    residual = query.plan.residual
    by_id = id_ordered(query)
    if by_id:
        descending = order[0][1]
        if descending:
            segments = _segments(ds, query, visible, below=after_id)
        else:
            segments = _segments(ds, query, visible, above=after_id)
        ids = _descending(segments) if descending else _ascending(segments)
        issues = ds.issues
        stream: Iterator[Issue] = (issues[i] for i in ids)
        if residual is not None:
            stream = (i for i in stream if residual(i))
        if count_total and residual is None:
            known = sum(len(s) for s in segments)
            page = list(itertools.islice(stream, start, start + limit))
            return Matches(page, start + len(page) < known, known, start + len(page))
        window = list(itertools.islice(stream, start, start + limit + 1))
        page = window[:limit]
        more = len(window) > limit
        total: int | None = None
        if count_total:
            total = start + len(page) + (1 + sum(1 for _ in stream) if more else 0)
        return Matches(page, more, total, start + len(page))
    segments = _segments(ds, query, visible, None)
    matched = [ds.issues[i] for i in _ascending(segments)]
    if residual is not None:
        matched = [i for i in matched if residual(i)]
    for name, desc in reversed(order):  # stable sorts, last key first; id ascending breaks ties
        matched.sort(key=functools.partial(_sort_key, ds, name), reverse=desc)
    if after_id is not None:
        position = next((n for n, i in enumerate(matched) if i.id == after_id), None)
        start = position + 1 if position is not None else start
    page = matched[start : start + limit]
    return Matches(page, start + len(page) < len(matched), len(matched), start + len(page))


class PageTokens:
    """Opaque, signed ``nextPageToken`` values bound to their JQL; expired or foreign ones are rejected."""

    def __init__(self, secret: bytes, ttl_ms: int = 7 * 86_400_000) -> None:
        self._secret = secret
        self.ttl_ms = ttl_ms

    def issue(self, jql: str, last_id: int, offset: int, now_ms: int) -> str:
        payload = json.dumps(
            {"q": _digest(jql), "a": last_id, "o": offset, "t": now_ms}, separators=(",", ":")
        )
        raw = payload.encode()
        mac = hmac.new(self._secret, raw, hashlib.sha256).hexdigest()[:24]
        return base64.urlsafe_b64encode(raw).decode().rstrip("=") + "." + mac

    def read(self, token: str, jql: str, now_ms: int) -> tuple[int, int]:
        """``(last_id, offset)``; raises ``JQLError`` (answered as 400) when the token is not valid here."""
        invalid = JQLError("The provided next page token is invalid or expired.")
        body, _, mac = token.partition(".")
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise invalid from None
        expected = hmac.new(self._secret, raw, hashlib.sha256).hexdigest()[:24]
        if not isinstance(data, dict) or not hmac.compare_digest(mac, expected):
            raise invalid
        if data.get("q") != _digest(jql):
            raise JQLError("The provided next page token does not belong to this JQL query.")
        if now_ms - int(data.get("t", 0)) > self.ttl_ms:
            raise invalid
        return int(data["a"]), int(data["o"])


def _digest(jql: str) -> str:
    return hashlib.sha256(" ".join(jql.split()).encode()).hexdigest()[:16]
