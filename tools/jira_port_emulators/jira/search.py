"""Search execution: candidates from the plan (bisect on key-number lists), ordering, paging, tokens.

Matching is lazy for ``ORDER BY key`` (= ``ORDER BY id``) queries: a page of P issues touches about P
candidates, so paging 100,000 issues costs O(n) overall, not O(n^2). Candidates come per project in
key-number order (``Dataset.by_project``), so moved-in issues (low id, high number) sort where Jira
sorts them.
"""

from __future__ import annotations

import base64
import bisect
import functools
import hashlib
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


KeyPosition = tuple[str, int]  # (project key, key number): a place in ``ORDER BY key`` order


@dataclass(frozen=True, slots=True)
class Segment:
    """A slice of one project's issues in key-number order."""

    ids: list[int]
    start: int
    stop: int

    def __len__(self) -> int:
        return self.stop - self.start

    def walk(self, descending: bool) -> Iterable[int]:
        if descending:
            return (self.ids[i] for i in range(self.stop - 1, self.start - 1, -1))
        return itertools.islice(self.ids, self.start, self.stop)


def _segments(
    ds: Dataset,
    query: CompiledQuery,
    visible: frozenset[int],
    *,
    after: KeyPosition | None = None,
    descending: bool = False,
) -> list[Segment]:
    """Candidate slices in ``ORDER BY key`` order (project key, then key number), starting after
    ``after`` (search-after, as Cloud page tokens do)."""
    plan = query.plan
    projects = set(visible) if plan.projects is None else plan.projects & visible
    ordered = sorted((ds.projects[p].key, p) for p in projects)
    if descending:
        ordered.reverse()
    segments = []
    for project_key, pid in ordered:
        lo, hi = plan.lo, plan.hi
        if after is not None:
            if (project_key < after[0]) != descending and project_key != after[0]:
                continue
            if project_key == after[0]:
                if descending:
                    hi = after[1] - 1 if hi is None else min(hi, after[1] - 1)
                else:
                    lo = after[1] + 1 if lo is None else max(lo, after[1] + 1)
        ids = ds.by_project.get(pid, [])
        begin = 0 if lo is None else ds.number_position(ids, lo)
        stop = len(ids) if hi is None else ds.number_position(ids, hi + 1)
        if stop > begin:
            segments.append(Segment(ids, begin, stop))
    return segments


def _sort_key(ds: Dataset, name: str, issue: Issue) -> Any:
    if name == "created":
        return issue.created
    if name == "updated":
        return issue.updated
    return (ds.projects[issue.project_id].key, issue.number)


def _matching(ds: Dataset, segment: Segment, query: CompiledQuery) -> int:
    """How many issues of ``segment`` match the residual (all without one). Data Center answers
    ``total`` from its index; the emulator keeps, per project and residual, the matching key numbers
    (until the next mutation), so a page's total costs a bisect, not a scan of the project."""
    residual, key = query.plan.residual, query.plan.residual_key
    if residual is None or key is None:
        return len(segment)
    first = ds.issues[segment.ids[segment.start]]
    cache, cache_key = ds.match_cache, (ds.version, first.project_id, key)
    numbers = cache.get(cache_key)
    if numbers is None:
        if len(cache) > 256 or any(k[0] != ds.version for k in cache):
            cache.clear()
        project_ids = ds.by_project[first.project_id]
        numbers = cache[cache_key] = [ds.issues[i].number for i in project_ids if residual(ds.issues[i])]
    last = ds.issues[segment.ids[segment.stop - 1]]
    return bisect.bisect_right(numbers, last.number) - bisect.bisect_left(numbers, first.number)


def key_ordered(query: CompiledQuery) -> bool:
    """Whether ``query`` is ordered by key alone (``ORDER BY id`` is the same order)."""
    order = query.order or DEFAULT_ORDER
    return len(order) == 1 and order[0][0] == "key"


def position(ds: Dataset, issue: Issue) -> KeyPosition:
    """Where ``issue`` sits in key order."""
    return ds.projects[issue.project_id].key, issue.number


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
    after: KeyPosition | None = None,
    count_total: bool = False,
) -> Matches:
    """One page of ``query``. ``after`` continues ``ORDER BY key`` (search-after); ``start`` skips."""
    order = query.order or DEFAULT_ORDER
    residual = query.plan.residual
    if key_ordered(query):
        descending = order[0][1]
        segments = _segments(ds, query, visible, after=after, descending=descending)
        issues = ds.issues
        stream: Iterator[Issue] = (issues[i] for seg in segments for i in seg.walk(descending))
        if residual is not None:
            stream = (i for i in stream if residual(i))
        if count_total and (residual is None or query.plan.residual_key is not None):
            known = sum(_matching(ds, s, query) for s in segments)
            page = list(itertools.islice(stream, start, start + limit))
            return Matches(page, start + len(page) < known, known, start + len(page))
        window = list(itertools.islice(stream, start, start + limit + 1))
        page = window[:limit]
        more = len(window) > limit
        total: int | None = None
        if count_total:
            total = start + len(page) + (1 + sum(1 for _ in stream) if more else 0)
        return Matches(page, more, total, start + len(page))
    segments = _segments(ds, query, visible)
    matched = [ds.issues[i] for seg in segments for i in seg.walk(False)]
    if residual is not None:
        matched = [i for i in matched if residual(i)]
    for name, desc in reversed(order):  # stable sorts, last key first; key order breaks ties
        matched.sort(key=functools.partial(_sort_key, ds, name), reverse=desc)
    page = matched[start : start + limit]
    return Matches(page, start + len(page) < len(matched), len(matched), start + len(page))


class PageTokens:
    """Opaque, signed ``nextPageToken`` values bound to their JQL; expired or foreign ones are rejected."""

    def __init__(self, secret: bytes, ttl_ms: int = 7 * 86_400_000) -> None:
        self._secret = secret
        self.ttl_ms = ttl_ms

    def issue(self, jql: str, after: KeyPosition | None, offset: int, now_ms: int) -> str:
        """A token resuming after key position ``after`` (key-ordered queries) or at ``offset``."""
        payload = json.dumps(
            {"q": _digest(jql), "k": list(after) if after else None, "o": offset, "t": now_ms},
            separators=(",", ":"),
        )
        raw = payload.encode()
        mac = hmac.new(self._secret, raw, hashlib.sha256).hexdigest()[:24]
        return base64.urlsafe_b64encode(raw).decode().rstrip("=") + "." + mac

    def read(self, token: str, jql: str, now_ms: int) -> tuple[KeyPosition | None, int]:
        """``(after, offset)``; raises ``JQLError`` (answered as 400) when the token is not valid here."""
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
        after = data.get("k")
        return (str(after[0]), int(after[1])) if after else None, int(data["o"])


def _digest(jql: str) -> str:
    return hashlib.sha256(" ".join(jql.split()).encode()).hexdigest()[:16]
