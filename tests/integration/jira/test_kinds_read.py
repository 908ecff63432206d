"""``read_kinds``: every kind read concurrently, each item once, agile calls only when boards or sprints
are wanted, agile skipped (and reported) on a site without Jira Software."""

from __future__ import annotations

from typing import Any

import pytest

from jira_port.jira.kinds import KINDS, kind_identifier
from jira_port.jira.kinds_read import read_kinds
from jira_port_emulators.jira import Account
from tests.support.jira_emulator import CLOUD_LOGIN, RunningJira, running_jira


def _read(jira: RunningJira, kinds: Any, workers: int = 4) -> tuple[dict[str, list[str]], set[str]]:
    keys = sorted(p.key for p in jira.emulator.ds.projects.values())
    read = read_kinds(jira.client(), kinds, keys, max_workers=workers)
    found: dict[str, list[str]] = {}
    for page in read.pages():
        found.setdefault(page.kind, []).extend(kind_identifier(page.kind, i) for i in page.items)
    return found, set(read.skipped)


def _expected(jira: RunningJira) -> dict[str, list[str]]:
    ds = jira.emulator.ds
    users = [u.account_id if jira.flavour == "cloud" else u.key for u in ds.users if not u.deleted]
    return {
        "user": sorted(users),
        "board": sorted(str(b) for b in ds.kinds.boards),
        "sprint": sorted(str(s) for s in ds.kinds.sprints),
        "version": sorted(str(v) for v in ds.kinds.versions),
        "component": sorted(str(c) for c in ds.kinds.components),
    }


@pytest.mark.parametrize("flavour", ["cloud", "server"])
def test_all_kinds_concurrently_each_item_once_under_faults(flavour: str) -> None:
    options = {"users": 300, "boards": 12, "sprints_per_board": 8}
    with running_jira(flavour, projects=4, issues=20, dataset_options=options) as jira:
        jira.emulator.faults.update(throttle_rate=0.2, short_page_rate=0.5)
        found, skipped = _read(jira, KINDS)
        kinds = jira.emulator.ds.kinds
        listed = sum(len(kinds.board_sprints(b.id)) for b in kinds.boards.values() if b.type == "scrum")
    assert listed > len(kinds.sprints)  # cross-project boards show other boards' sprints too
    assert skipped == set()
    assert {kind: sorted(ids) for kind, ids in found.items()} == _expected(jira)
    assert all(len(ids) == len(set(ids)) for ids in found.values())


def test_sprints_alone_read_boards_but_yield_only_sprints_and_no_agile_without_them() -> None:
    with running_jira("cloud", issues=10) as jira:
        found, _ = _read(jira, {"sprint"})
        assert set(found) == {"sprint"} and sorted(found["sprint"]) == _expected(jira)["sprint"]
        agile_before = sum(n for r, n in jira.emulator.requests_by_route.items() if "agile" in r)
        found, _ = _read(jira, {"user", "version", "component"})
        agile_after = sum(n for r, n in jira.emulator.requests_by_route.items() if "agile" in r)
        assert set(found) == {"user", "version", "component"} and agile_after == agile_before


def test_without_jira_software_boards_and_sprints_are_skipped_and_reported() -> None:
    with running_jira("server", issues=10, jira_software=False) as jira:
        found, skipped = _read(jira, KINDS)
    assert skipped == {"board", "sprint"} and set(found) == {"user", "version", "component"}


def test_an_error_in_one_stream_reaches_the_caller() -> None:
    with running_jira("cloud", issues=10) as jira:
        jira.emulator.faults.update(throttle_rate=1.0)  # more 429s than the retry budget
        with pytest.raises(Exception, match="429"):
            _read(jira, KINDS, workers=2)


def test_a_kind_refused_to_the_credentials_is_skipped_and_reported() -> None:
    account = Account(CLOUD_LOGIN[0], secret=CLOUD_LOGIN[1], browse_users=False)
    with running_jira("cloud", issues=10, accounts=[account]) as jira:
        found, skipped = _read(jira, KINDS)
    assert skipped == {"user"} and set(found) == {"board", "sprint", "version", "component"}
