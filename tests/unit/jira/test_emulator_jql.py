"""The emulator's JQL subset: parsing, evaluation against a small dataset, plans and Jira-like errors."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from jira_port_emulators.jira import generate_dataset
from jira_port_emulators.jira.catalog import STATUS_BY_ID
from jira_port_emulators.jira.jql_eval import compile_jql
from jira_port_emulators.jira.jql_fields import Context
from jira_port_emulators.jira.jql_parse import BoolOp, Clause, JQLError, Not, parse, tokenize
from jira_port_emulators.jira.model import Dataset, Issue
from jira_port_emulators.jira.search import run

DS = generate_dataset(projects=3, issues=300, flavour="cloud", seed=4)
NOW = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp() * 1000)


def _ctx(ds: Dataset = DS, visible: frozenset[int] | None = None) -> Context:
    return Context(ds, visible if visible is not None else frozenset(ds.projects), NOW, current_user=0)


def _select(jql: str, ds: Dataset = DS) -> list[Issue]:
    query = compile_jql(jql, _ctx(ds))
    return run(ds, query, frozenset(ds.projects), limit=10_000).issues


def _brute(predicate: object) -> set[int]:
    return {i.id for i in DS.issues.values() if predicate(i)}  # type: ignore[operator]


KEYS = [p.key for p in DS.projects.values()]


def test_tokenizer_handles_quotes_escapes_and_operators() -> None:
    tokens = tokenize('summary ~ "a \\"b\\"" AND id>=10 OR x!=\'y\'')
    assert [(t.kind, t.text) for t in tokens[:-1]] == [
        ("WORD", "summary"), ("OP", "~"), ("STRING", 'a "b"'), ("WORD", "AND"), ("WORD", "id"),
        ("OP", ">="), ("WORD", "10"), ("WORD", "OR"), ("WORD", "x"), ("OP", "!="), ("STRING", "y"),
    ]  # fmt: skip


def test_precedence_and_binds_tighter_than_or_and_not_negates() -> None:
    query = parse("a = 1 OR b = 2 AND NOT c = 3 ORDER BY created DESC, key")
    assert isinstance(query.where, BoolOp) and query.where.op == "or"
    right = query.where.items[1]
    assert isinstance(right, BoolOp) and right.op == "and" and isinstance(right.items[1], Not)
    assert query.order == (("created", True), ("key", False))
    clause = parse("status not in (Done, 'In Progress')").where
    assert (
        isinstance(clause, Clause)
        and clause.op == "not in"
        and [v.text for v in clause.values]
        == [
            "Done",
            "In Progress",
        ]
    )


def test_project_status_type_and_category_match_brute_force() -> None:
    key = KEYS[0]
    got = {
        i.id for i in _select(f'project = {key} AND status in ("In Progress", Done) AND issuetype != Epic')
    }
    expected = _brute(
        lambda i: (
            DS.projects[i.project_id].key == key
            and STATUS_BY_ID[i.status_id].name in ("In Progress", "Done")
            and i.type_id != "10000"
        )
    )
    assert got == expected and got
    done = {i.id for i in _select("statusCategory = done")}
    assert done == _brute(lambda i: STATUS_BY_ID[i.status_id].category.key == "done")
    subtasks = {i.id for i in _select("issuetype in subTaskIssueTypes()")}
    assert subtasks == _brute(lambda i: i.parent_id != 0)


def test_or_not_and_parentheses() -> None:
    a, b = KEYS[0], KEYS[1]
    got = {i.id for i in _select(f"(project = {a} OR project = {b}) AND NOT priority = Medium")}
    assert got == _brute(lambda i: DS.projects[i.project_id].key in (a, b) and i.priority_id != "3")


def test_id_and_key_ranges_and_order() -> None:
    # id > N resolves N to an issue and compares key numbers inside that issue's project (fact 10)
    key = KEYS[0]
    anchor = DS.find_issue(f"{key}-5")
    assert anchor is not None
    got = _select(f"project IS NOT EMPTY AND id > {anchor.id} ORDER BY id ASC")
    expected = sorted(
        (i for i in DS.issues.values() if i.project_id == anchor.project_id and i.number > 5),
        key=lambda i: i.number,
    )
    assert [i.id for i in got] == [i.id for i in expected]
    by_key = _select(f"key >= {key}-5 AND key < {key}-9 ORDER BY key")
    assert [i.number for i in by_key] == [5, 6, 7, 8]
    assert [i.id for i in _select(f"key = {key}-3")] == [DS.find_issue(f"{key}-3").id]  # type: ignore[union-attr]
    desc = _select(f"issue <= {key}-4 ORDER BY issuekey DESC")
    assert [i.number for i in desc] == [4, 3, 2, 1]


def test_dates_absolute_relative_and_functions() -> None:
    # Absolute dates are read in the searching user's time zone, as Jira does (user 0 searches here).
    tz = ZoneInfo(DS.users[0].time_zone)
    start = int(datetime(2025, 6, 1, tzinfo=tz).timestamp() * 1000)
    end = int(datetime(2025, 7, 1, 10, 30, tzinfo=tz).timestamp() * 1000)
    got = {i.id for i in _select('created >= "2025-06-01" AND created < "2025/07/01 10:30"')}
    assert got == _brute(lambda i: start <= i.created < end) and got
    recent = {i.id for i in _select('updated > "-4w 2d"')}
    assert recent == _brute(lambda i: i.updated > NOW - 30 * 86_400_000)
    assert {i.id for i in _select("updated <= now()")} == set(DS.issues)


def test_emptiness_labels_and_users() -> None:
    assert {i.id for i in _select("assignee IS EMPTY")} == _brute(lambda i: i.assignee < 0)
    assert {i.id for i in _select("labels is not empty")} == _brute(lambda i: bool(i.labels))
    assert {i.id for i in _select("labels in (backend, ux)")} == _brute(
        lambda i: {"backend", "ux"} & set(i.labels)
    )
    user = DS.users[0]
    assert {i.id for i in _select(f'assignee = "{user.account_id}"')} == _brute(lambda i: i.assignee == 0)
    assert {i.id for i in _select("reporter = currentUser()")} == _brute(lambda i: i.reporter == 0)
    assert _select("project IS EMPTY") == []


def test_parent_finds_subtasks_and_epic_children_on_cloud() -> None:
    parent = next(i for i in DS.issues.values() if i.id in DS.subtasks)
    got = {i.id for i in _select(f"parent = {DS.issue_key(parent)}")}
    assert got == set(DS.subtasks[parent.id])


def test_plan_narrows_candidates_for_keyset_queries() -> None:
    key = KEYS[1]
    query = compile_jql(f"project = {key} AND id > {key}-7", _ctx())
    assert query.plan.projects == {DS.project_by_key(key).id}  # type: ignore[union-attr]
    assert query.plan.lo == 8 and query.plan.residual is None
    assert compile_jql("project is not empty", _ctx()).plan.residual is None
    # an anchored page of a partition plans like the partition itself (no per-issue residual)
    pid = DS.project_by_key(key).id  # type: ignore[union-attr]
    page = compile_jql(
        f'((project = {pid} AND (project IS NOT EMPTY)) OR key = "{key}-3") AND key >= "{key}-3"', _ctx()
    )
    assert page.plan.projects == {pid} and page.plan.lo == 3 and page.plan.residual is None
    assert not compile_jql("ORDER BY id", _ctx()).bounded
    assert not compile_jql("", _ctx()).bounded


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("foo = 1", "Field 'foo' does not exist or you do not have permission to view it."),
        ("status > Done", "The operator '>' is not supported by the 'status' field."),
        ("status = Nope", "The value 'Nope' does not exist for the field 'status'."),
        ('created > "2025-13-01"', "Date value '2025-13-01' for field 'created' is invalid."),
        ("project = A AND", "Error in the JQL Query: Expecting a field name but got end of query."),
        ("project A", "Error in the JQL Query: Expecting operator but got 'A'."),
        ('summary ~ "open', "The quoted string has not been completed."),
        ("ORDER BY summary", "Not able to sort using field 'summary'."),
        ("updated > someday()", "Unable to find JQL function 'someday()'."),
        ("status was Done", "The operator 'WAS' is not supported by this Jira emulator."),
        ("project = X ORDER", "Expecting 'by' but got end of query."),
    ],
)
def test_errors_read_like_jira(jql: str, message: str) -> None:
    with pytest.raises(JQLError) as caught:
        compile_jql(jql, _ctx())
    assert message in str(caught.value)


def test_invisible_projects_do_not_exist_for_the_caller() -> None:
    hidden = DS.project_by_key(KEYS[2])
    assert hidden is not None
    visible = frozenset(p for p in DS.projects if p != hidden.id)
    # Cloud answers a project the caller cannot read with no issues (not a 400)
    assert run(DS, compile_jql(f"project = {hidden.key}", _ctx(visible=visible)), visible).issues == []
    query = compile_jql("project is not empty", _ctx(visible=visible))
    found = run(DS, query, visible, limit=10_000).issues
    assert found and all(i.project_id != hidden.id for i in found)


def test_absolute_dates_follow_the_searching_users_time_zone() -> None:
    # Given two users in different zones asking for the same wall-clock date
    zones = {DS.users[u].time_zone for u in (0, 1)}
    assert len(zones) == 2
    bounds = []
    for user in (0, 1):
        ctx = Context(DS, frozenset(DS.projects), NOW, current_user=user)
        query = compile_jql('created >= "2025-06-01"', ctx)
        bounds.append({i.id for i in run(DS, query, frozenset(DS.projects), limit=10_000).issues})
        tz = ZoneInfo(DS.users[user].time_zone)
        start = int(datetime(2025, 6, 1, tzinfo=tz).timestamp() * 1000)
        # Then each user's answer follows their own zone
        assert bounds[-1] == _brute(lambda i, s=start: i.created >= s)
