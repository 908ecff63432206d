"""The emulator follows real Jira's rules for the issue-key field, key order and moved issues (one test per
fact of docs/jira-behaviour.md; the HTTP-level facts are pinned in tests/integration/jira)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jira_port_emulators.jira import JiraEmulator, generate_dataset
from jira_port_emulators.jira.jql_eval import compile_jql
from jira_port_emulators.jira.jql_fields import Context
from jira_port_emulators.jira.jql_parse import JQLError
from jira_port_emulators.jira.model import Dataset, Issue
from jira_port_emulators.jira.search import run

NOW = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp() * 1000)


def _emulator(flavour: str = "server") -> JiraEmulator:
    return JiraEmulator(generate_dataset(projects=3, issues=120, flavour=flavour, seed=11))  # type: ignore[arg-type]


def _select(ds: Dataset, jql: str) -> list[Issue]:
    ctx = Context(ds, frozenset(ds.projects), NOW, current_user=0)
    return run(ds, compile_jql(jql, ctx), frozenset(ds.projects), limit=10_000).issues


def _keys(ds: Dataset, issues: list[Issue]) -> list[str]:
    return [ds.issue_key(i) for i in issues]


def _first_keys(ds: Dataset) -> tuple[str, str]:
    a, b = sorted(p.key for p in ds.projects.values())[:2]
    return a, b


@pytest.mark.parametrize("field", ["id", "key", "issuekey", "issue"])
def test_id_key_issuekey_and_issue_are_one_field(field: str) -> None:
    ds = _emulator().ds
    a, _ = _first_keys(ds)
    target = ds.find_issue(f"{a}-4")
    assert target is not None
    # a numeric id and a key name the same issue, whatever the field is called
    assert [i.id for i in _select(ds, f"{field} = {target.id}")] == [target.id]
    assert [i.id for i in _select(ds, f"{field} = {a}-4")] == [target.id]


def test_relational_comparison_stays_in_the_anchors_project_and_compares_key_numbers() -> None:
    emu = _emulator()
    ds = emu.ds
    a, b = _first_keys(ds)
    # Given an issue moved from B into A: it keeps its (low) id and gets A's next (high) number
    moved_from = ds.issue_key(ds.issues[ds.by_project[ds.project_by_key(b).id][0]])  # type: ignore[union-attr]
    emu.move_issue(moved_from, a)
    moved = ds.find_issue(moved_from)
    assert moved is not None
    anchor = ds.find_issue(f"{a}-3")
    assert anchor is not None
    got = _select(ds, f"id > {anchor.id} ORDER BY id")
    # never another project, and the moved-in issue (id far below some of A's) is included
    assert {ds.projects[i.project_id].key for i in got} == {a}
    assert moved.id in {i.id for i in got}
    assert [i.number for i in got] == sorted(
        i.number for i in ds.issues.values() if i.project_id == anchor.project_id and i.number > 3
    )
    # it says nothing about numeric ids: lower ids come back, higher ids of other projects do not
    assert any(i.id < anchor.id for i in got)
    assert not any(ds.issues[i].project_id != anchor.project_id for i in (x.id for x in got))


def test_order_by_id_is_key_order_not_numeric_id_order() -> None:
    emu = _emulator()
    ds = emu.ds
    a, b = _first_keys(ds)
    emu.move_issue(ds.issue_key(ds.issues[ds.by_project[ds.project_by_key(b).id][0]]), a)  # type: ignore[union-attr]
    got = _select(ds, "project is not empty ORDER BY id ASC")
    order = [(ds.projects[i.project_id].key, i.number) for i in got]
    assert order == sorted(order)
    assert [i.id for i in got] != sorted(i.id for i in got)  # the moved-in issue breaks id order
    assert _keys(ds, _select(ds, "project is not empty ORDER BY key DESC")) == list(reversed(_keys(ds, got)))


@pytest.mark.parametrize(
    ("literal", "message"),
    [
        ("99999", "A value with ID '99999' does not exist for the field 'id'."),
        ("{a}-9999", "An issue with key '{a}-9999' does not exist for field 'id'."),
    ],
)
def test_a_literal_that_resolves_to_no_issue_is_an_error(literal: str, message: str) -> None:
    ds = _emulator().ds
    a, _ = _first_keys(ds)
    for op in (">", ">=", "<", "=", "in"):
        operand = f"({literal.format(a=a)})" if op == "in" else literal.format(a=a)
        with pytest.raises(JQLError) as caught:
            _select(ds, f"id {op} {operand}")
        assert message.format(a=a) in str(caught.value)


def test_a_deleted_anchor_makes_the_keyset_query_invalid() -> None:
    emu = _emulator()
    a, _ = _first_keys(emu.ds)
    anchor = emu.ds.find_issue(f"{a}-6")
    assert anchor is not None
    assert _select(emu.ds, f"project = {a} AND key > {a}-6")
    emu.delete_issue(f"{a}-6")
    with pytest.raises(JQLError, match=f"An issue with key '{a}-6' does not exist"):
        _select(emu.ds, f"project = {a} AND key > {a}-6")
    with pytest.raises(JQLError, match=f"A value with ID '{anchor.id}' does not exist"):
        _select(emu.ds, f"project = {a} AND id > {anchor.id}")


@pytest.mark.parametrize("flavour", ["cloud", "server"])
def test_a_moved_issue_keeps_its_id_gets_the_next_number_and_its_old_key_resolves(flavour: str) -> None:
    emu = _emulator(flavour)
    ds = emu.ds
    a, b = _first_keys(ds)
    source = ds.find_issue(f"{b}-2")
    target = ds.project_by_key(a)
    assert source is not None and target is not None
    next_number = target.next_number
    body = emu.move_issue(f"{b}-2", a)
    moved = ds.issues[source.id]
    assert (moved.project_id, moved.number) == (target.id, next_number)
    assert body["webhookEvent"] == "jira:issue_updated" and body["issue"]["key"] == f"{a}-{next_number}"
    items = {item["field"]: item for item in body["changelog"]["items"]}
    assert items["Key"]["fromString"] == f"{b}-2" and items["Key"]["toString"] == f"{a}-{next_number}"
    assert items["project"]["from"] == str(source.project_id) and items["project"]["to"] == str(target.id)
    # the old key still resolves, in JQL and by lookup
    assert ds.find_issue(f"{b}-2") is moved
    assert [i.id for i in _select(ds, f"key = {b}-2")] == [moved.id]
    # relational comparisons with the old key act in the issue's current project
    assert {i.project_id for i in _select(ds, f"key < {b}-2")} == {target.id}


def test_moving_a_parent_moves_its_subtasks_with_one_event_each() -> None:
    emu = _emulator()
    ds = emu.ds
    parent_id = next(p for p, kids in ds.subtasks.items() if kids)
    parent = ds.issues[parent_id]
    other = next(p for p in ds.projects.values() if p.id != parent.project_id)
    kids = list(ds.subtasks[parent_id])
    emu.move_issue(parent.id, other.key)
    assert all(ds.issues[k].project_id == other.id for k in [parent_id, *kids])
    with pytest.raises(ValueError, match="sub-task moves with it"):
        emu.move_issue(kids[0], ds.projects[parent.project_id].key)


def test_data_center_totals_with_a_residual_follow_every_change() -> None:
    # totals of residual queries come from a cache of matching key numbers; a mutation must invalidate it
    emu = _emulator()
    ds = emu.ds
    a, b = _first_keys(ds)
    jql = f'((project = {a} AND (priority = Medium)) OR key = "{a}-2") AND key >= "{a}-2" ORDER BY key'

    def total() -> int | None:
        ctx = Context(ds, frozenset(ds.projects), NOW, current_user=0)
        return run(ds, compile_jql(jql, ctx), frozenset(ds.projects), limit=1, count_total=True).total

    def brute() -> int:
        pid = ds.project_by_key(a).id  # type: ignore[union-attr]
        two = ds.find_issue(f"{a}-2")
        assert two is not None
        return sum(
            1
            for i in ds.issues.values()
            if i.project_id == pid and i.number >= 2 and (i.priority_id == "3" or i.id == two.id)
        )

    assert total() == brute()
    victim = next(i for i in ds.issues.values() if ds.projects[i.project_id].key == a and i.number > 5)
    emu.update_issue(ds.issue_key(victim), priority="Medium" if victim.priority_id != "3" else "High")
    assert total() == brute()
    emu.move_issue(
        ds.issue_key(
            next(
                i
                for i in ds.issues.values()
                if ds.projects[i.project_id].key == b and not i.parent_id and not ds.subtasks.get(i.id)
            )
        ),
        a,
    )
    assert total() == brute()
