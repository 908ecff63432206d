"""The backfill's catalog kinds: users, boards, sprints, versions and components (issue 13).

Reads the kinds the mapping has rules for (``jira.kinds.mapped_kinds``: a mapping without sprint rules
makes no agile call), concurrently under ``BACKFILL_PARTITION_CONCURRENCY`` (``jira.kinds_read``),
presents each item as the webhook body of its kind and sends it through the one mapping and the one write
step, like issues and projects. What the upserts keep alive is recorded as seen once every kind is read,
so a full run's reconciliation covers these kinds under the same ownership ledger and deletion threshold.
Kinds that were skipped (no Jira Software, or refused to the credentials) record nothing: left alone.

Jira has no "updated since" query for these kinds: incremental runs read and write them all as well
(a few hundred requests for thousands of items), and only full runs delete the ones that are gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING

from jira_port.backfill.store import Tally, now_ms
from jira_port.jira.kinds import kind_event, mapped_kinds
from jira_port.jira.kinds_read import read_kinds
from jira_port.observability import logger

if TYPE_CHECKING:
    from jira_port.backfill.mapper import BackfillMapper
    from jira_port.backfill.pages import PageWriter
    from jira_port.backfill.store import BackfillStore, RunState
    from jira_port.jira import JiraClient

KINDS_KEY = "kinds"  # the seen-record key of the kinds
SEEN_CHUNK = 5000  # identifiers per seen record (a DynamoDB item holds at most 400 KB)


def backfill_kinds(
    *,
    jira: JiraClient,
    mapper: BackfillMapper,
    writer: PageWriter,
    store: BackfillStore,
    run: RunState,
    project_keys: Sequence[str],
    max_workers: int,
    projects_written: Future[Tally] | None = None,
) -> Tally:
    """Read, map and write every mapped kind; returns the tally (``items``: the items read).

    ``projects_written``: the run's project writes. The kinds are read meanwhile, but written only after
    them: a version or component without a project key finds its project by a Port search, which fails
    (404) while the project is not in Port yet."""
    wanted = mapped_kinds(mapper.relevant)
    if not wanted:
        return Tally()
    read_at = now_ms()
    read = read_kinds(jira, wanted, project_keys, max_workers=max_workers)
    tally = Tally()
    items: dict[str, int] = {}
    seen: dict[str, dict[str, list[str]]] = {}  # kind -> blueprint -> identifiers its upserts keep
    for page in read.pages():
        mapped = mapper.map_events([kind_event(page.kind, item, read_at) for item in page.items])
        written = writer.write(mapped.actions, read_at, after=projects_written)
        written.pages, written.items = 1, len(page.items)
        tally.add(written)
        items[page.kind] = items.get(page.kind, 0) + len(page.items)
        for blueprint, ids in mapped.seen.items():
            seen.setdefault(page.kind, {}).setdefault(blueprint, []).extend(ids)
    if run.reconcile:  # only kinds read in full: a skipped kind's entities are left alone
        number = 0
        for kind, by_blueprint in seen.items():
            if kind in read.skipped:
                continue
            for blueprint, ids in by_blueprint.items():
                for start in range(0, len(ids), SEEN_CHUNK):
                    store.save_seen(run, KINDS_KEY, number, {blueprint: ids[start : start + SEEN_CHUNK]})
                    number += 1
    logger.info(
        "backfill kinds written",
        extra={
            "run_id": run.run_id,
            "items": items,
            "skipped_kinds": sorted(read.skipped),
            "upserted": tally.upserted,
            "rejected": tally.rejected,
        },
    )
    return tally
