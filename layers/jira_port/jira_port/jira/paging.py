"""Issue paging inside one project: key order, resumed from *anchor* keys, on Cloud and Server/DC.

Real JQL rules (docs/jira-behaviour.md): ``key > X`` compares key numbers inside X's current project,
``ORDER BY id`` is key order, an anchor that no longer resolves makes the query a 400, and a moved
issue keeps its old key as an alias in its new project. Hence, per project:

- a page from anchor ``A`` asks ``((<where>) OR key = A) AND key >= A ORDER BY key ASC``. ``A`` comes
  back first as a sentinel and is dropped. A 400 naming ``A`` (deleted), or a first issue with another
  key (``A`` moved away, so the clause now acts in another project), means the anchor is gone: the
  next older anchor is tried, then the project is read again from its start (re-reading is harmless,
  skipping is not);
- the cursor keeps a handful of anchors spread over the last pages (``anchors``), so a deleted anchor
  between pages or between invocations costs one extra request, not a restart;
- Server/DC always sends ``startAt=0``, so no request reaches the 10,000-result window;
- Cloud follows ``nextPageToken`` (a chain ends only when the token is absent or ``isLast`` is true;
  short and empty pages continue). A rejected token falls back to the anchors, never to ``id >``.

Both loops hold one page at a time and take the HTTP call as ``fetch(body) -> dict`` (or a
``SearchAnswer``, whose raw body then rides along on the page, see ``IssuePage.raw``). ``read_ahead``
requests the next page while the caller works on the current one.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Mapping
from concurrent.futures import Executor, Future
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from jira_port.jira import jql as jqlmod
from jira_port.jira.errors import JiraAPIError, JiraResponseError
from jira_port.jira.models import IssuePage, SearchAnswer
from jira_port.observability import logger

Fetch = Callable[[dict[str, Any]], dict[str, Any] | SearchAnswer]
MAX_ANCHORS = 12
MAX_EMPTY_PAGES = 100  # consecutive empty Cloud pages that still carry a token before giving up


@dataclass(slots=True)
class ChainState:
    """Where a project's paging stands: Cloud's page token (and the anchor its chain started from),
    and the anchor keys to resume from, newest first."""

    token: str | None = None
    anchors: list[str] = field(default_factory=list)
    chain_anchor: str | None = None

    def cursor(self) -> dict[str, Any]:
        """JSON-safe form (``IssuePage.cursor``)."""
        out: dict[str, Any] = {"anchors": list(self.anchors)}
        if self.token is not None:
            out["nextPageToken"] = self.token
            out["chainAnchor"] = self.chain_anchor
        return out

    def drop_anchor(self, anchor: str, why: str) -> None:
        """Forget ``anchor`` (deleted or moved away) and start the next chain from the next older one."""
        self.anchors = [a for a in self.anchors if a != anchor]
        self.token = None
        self.chain_anchor = self.anchors[0] if self.anchors else None
        logger.warning(
            "Jira paging anchor is gone; resuming from an older one"
            if self.chain_anchor
            else "Jira paging anchor is gone; reading the project again from its start",
            extra={"anchor": anchor, "reason": why, "next_anchor": self.chain_anchor},
        )


def parse_cursor(cursor: Mapping[str, Any] | None) -> ChainState:
    """Validate a cursor from ``IssuePage.cursor``. A cursor of the old ``afterId`` form (numeric-id
    keysets, wrong under real JQL) cannot be resumed safely: the project is read from its start."""
    if cursor is None:
        return ChainState()
    if not isinstance(cursor, Mapping):
        raise ValueError("cursor must be a dict produced by IssuePage.cursor")
    if "anchors" not in cursor and "afterId" in cursor:
        logger.warning("cursor from an older jira-port version; the partition is read from its start")
        return ChainState()
    anchors = cursor.get("anchors")
    if not isinstance(anchors, list) or not all(isinstance(a, str) and a for a in anchors):
        raise ValueError("cursor anchors must be a list of issue keys")
    token = cursor.get("nextPageToken")
    if token is not None and (not isinstance(token, str) or not token):
        raise ValueError("cursor nextPageToken must be a non-empty string")
    chain_anchor = cursor.get("chainAnchor")
    if chain_anchor is not None and not isinstance(chain_anchor, str):
        raise ValueError("cursor chainAnchor must be an issue key")
    return ChainState(token, list(anchors), chain_anchor if token is not None else None)


def _answer(fetch: Fetch, body: dict[str, Any]) -> tuple[dict[str, Any], bytes | None]:
    answer = fetch(body)
    if isinstance(answer, SearchAnswer):
        return answer.data, answer.raw
    return answer, None


def _issues(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    issues = data.get("issues")
    if issues is None:
        return []
    if not isinstance(issues, list):
        raise JiraResponseError("search response 'issues' is not a list")
    return issues


def _key(issue: Mapping[str, Any]) -> str:
    key = issue.get("key")
    if not isinstance(key, str) or not key:
        raise JiraResponseError(f"search returned an issue without a key (id {issue.get('id')!r})")
    return key


def spread_anchors(issues: list[dict[str, Any]], older: list[str]) -> list[str]:
    """New anchors after a page: its keys at distances 1, 2, 4, 8... from the end, then older ones
    (the oldest kept last), at most ``MAX_ANCHORS``."""
    fresh: list[str] = []
    step = 1
    while step <= len(issues):
        fresh.append(_key(issues[-step]))
        step *= 2
    merged = list(dict.fromkeys([*fresh, *older]))
    if len(merged) > MAX_ANCHORS:
        merged = merged[: MAX_ANCHORS - 1] + merged[-1:]
    return merged


def _names_anchor(exc: JiraAPIError, anchor: str) -> bool:
    """Whether a 400 says ``anchor`` resolves to no issue."""
    text = " ".join(exc.all_messages).upper()
    return exc.status == 400 and anchor.upper() in text and "DOES NOT EXIST" in text


def _body(where: str, anchor: str | None, page_size: int, fields: list[str]) -> dict[str, Any]:
    return {"jql": jqlmod.anchored(where, anchor), "maxResults": page_size, "fields": fields}


def iter_server_pages(
    fetch: Fetch,
    where: str,
    *,
    fields: list[str],
    expand: str | None,
    page_size: int,
    cursor: Mapping[str, Any] | None = None,
) -> Iterator[IssuePage]:
    """Page ``POST /rest/api/2/search`` over one project by key anchors, ``startAt`` always 0."""
    state = parse_cursor(cursor)
    expand_list = [e.strip() for e in expand.split(",") if e.strip()] if expand else None
    while True:
        anchor = state.anchors[0] if state.anchors else None
        # one more than a page when anchored: the sentinel does not eat into the page
        body = {**_body(where, anchor, page_size + (anchor is not None), fields), "startAt": 0}
        if expand_list:
            body["expand"] = expand_list
        try:
            data, raw = _answer(fetch, body)
        except JiraAPIError as exc:
            if anchor is None or not _names_anchor(exc, anchor):
                raise
            state.drop_anchor(anchor, "deleted")
            continue
        issues = _issues(data)
        total = data.get("total")
        remaining = total if isinstance(total, int) and not isinstance(total, bool) else None
        if anchor is not None:
            if not issues or _key(issues[0]).upper() != anchor.upper():
                state.drop_anchor(anchor, "moved to another project")
                continue
            issues = issues[1:]
            remaining = None if remaining is None else remaining - 1
        skip = int(anchor is not None)
        # total counts what is left after the anchor; without it a capped page looks short, so only an
        # empty page ends the project
        last = not issues or (remaining is not None and len(issues) >= remaining)
        if not issues and remaining:
            raise JiraResponseError("Jira returned only the anchor although more issues match")
        if issues:
            state.anchors = spread_anchors(issues, state.anchors)
        yield IssuePage(issues, None if last else state.cursor(), raw, skip)
        if last:
            return


def iter_cloud_pages(
    fetch: Fetch,
    where: str,
    *,
    fields: list[str],
    expand: str | None,
    page_size: int,
    cursor: Mapping[str, Any] | None = None,
) -> Iterator[IssuePage]:
    """Page ``POST /rest/api/2/search/jql`` over one project: follow ``nextPageToken`` until it is
    absent or ``isLast``; a rejected token resumes from the anchors (a new chain, same JQL rules)."""
    state = parse_cursor(cursor)
    if state.token is None:
        state.chain_anchor = state.anchors[0] if state.anchors else None
    sentinel = state.chain_anchor if state.token is None else None  # expected first in a new chain
    empty_run = 0
    while True:
        body = _body(where, state.chain_anchor, page_size, fields)
        if state.token is not None:
            body["nextPageToken"] = state.token
        if expand:
            body["expand"] = expand
        try:
            data, raw = _answer(fetch, body)
        except JiraAPIError as exc:
            _recover_cloud(state, exc)
            sentinel = state.chain_anchor
            continue
        issues = _issues(data)
        token = data.get("nextPageToken")
        last = data.get("isLast") is True or not isinstance(token, str) or not token
        skip = 0
        if sentinel is not None and (issues or last):
            if not issues or _key(issues[0]).upper() != sentinel.upper():
                state.drop_anchor(sentinel, "moved to another project")
                sentinel = state.chain_anchor
                continue
            issues, sentinel, skip = issues[1:], None, 1
        empty_run = 0 if issues else empty_run + 1
        if empty_run > MAX_EMPTY_PAGES:
            raise JiraResponseError(f"Jira returned {empty_run} empty pages in a row that all claim more")
        if issues:
            state.anchors = spread_anchors(issues, state.anchors)
        state.token = None if last else str(token)
        yield IssuePage(issues, None if last else state.cursor(), raw, skip)
        if last:
            return


def _recover_cloud(state: ChainState, exc: JiraAPIError) -> None:
    """After a 400: a rejected token restarts the chain from the newest anchor, a deleted anchor from
    the next older one; any other error propagates."""
    if exc.status == 400 and state.token is not None:
        logger.warning(
            "Jira rejected the page token; resuming from the last anchor keys",
            extra={"jira_errors": exc.error_messages, "anchor": state.anchors[:1]},
        )
        state.token = None
        state.chain_anchor = state.anchors[0] if state.anchors else None
    elif state.chain_anchor is not None and _names_anchor(exc, state.chain_anchor):
        state.drop_anchor(state.chain_anchor, "deleted")
    else:
        raise exc


def read_ahead(
    pages: Iterator[IssuePage],
    pool: Executor,
    clock: Callable[[], int],
    more: Callable[[], bool] = lambda: True,
) -> Generator[tuple[int, IssuePage]]:
    """Each page of ``pages`` with ``clock()`` read just before its requests were sent; while ``more()``,
    the next page is requested on ``pool`` as soon as one is handed out, so Jira works while the caller
    maps and writes. Once ``more()`` is false, the page already asked for is still handed out (nothing
    read is wasted), then the pages end. An error surfaces when its page is asked for. Closing it waits
    for the request in flight (whose page is then dropped)."""

    def fetch() -> tuple[int, IssuePage] | None:
        started = clock()
        page = next(pages, None)
        return None if page is None else (started, page)

    pending: Future[tuple[int, IssuePage] | None] | None = pool.submit(fetch)
    try:
        while pending is not None and (item := pending.result()) is not None:
            # a last page has no successor to read
            pending = pool.submit(fetch) if item[1].cursor is not None and more() else None
            yield item
    finally:
        if pending is not None and not pending.cancel():
            with suppress(Exception):  # the caller stopped: an error of a page it never takes is moot
                pending.result()
        close = getattr(pages, "close", None)
        if close is not None:
            close()
