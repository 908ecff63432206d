"""apply_actions: grouping into bulk calls, order per identifier, duplicates, failure classification."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from jira_port.port import BulkResult, EntityFailure, PortClient
from jira_port.port.apply import DeleteGroup, UpsertGroup, apply_actions, combine, plan
from jira_port.port.types import Action


def up(bp: str, ident: str, **fields: Any) -> Action:
    return Action("upsert", bp, {"identifier": ident, **fields})


def rm(bp: str, ident: str, dependents: bool | None = None) -> Action:
    return Action("delete", bp, {"identifier": ident}, delete_dependents=dependents)


@dataclass
class FakePort:
    """Records calls; fails the identifiers named in ``fail`` with the given (status, error, transient)."""

    fail: dict[str, tuple[int, str, bool]] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)
    calls: list[tuple[str, str, list[Any], bool | None]] = field(default_factory=list)

    def _failure(self, bp: str, ident: str, op: str) -> EntityFailure | None:
        if ident not in self.fail:
            return None
        status, error, transient = self.fail[ident]
        return EntityFailure(bp, ident, op, status, error, "refused", transient)  # type: ignore[arg-type]

    def upsert_entities(
        self, blueprint: str, entities: list[dict[str, Any]], *, merge: bool = True
    ) -> BulkResult:
        self.calls.append(("upsert", blueprint, [e["identifier"] for e in entities], None))
        result = BulkResult(blueprint, "upsert", retried=1)
        for e in entities:
            failure = self._failure(blueprint, e["identifier"], "upsert")
            if failure:
                result.failures.append(failure)
            else:
                result.succeeded.append(e["identifier"])
        return result

    def delete_entities(
        self, blueprint: str, identifiers: list[str], *, delete_dependents: bool = False
    ) -> BulkResult:
        self.calls.append(("delete", blueprint, list(identifiers), delete_dependents))
        result = BulkResult(blueprint, "delete")
        for ident in identifiers:
            failure = self._failure(blueprint, ident, "delete")
            if failure:
                result.failures.append(failure)
            elif ident in self.gone:
                result.absent.append(ident)
            else:
                result.succeeded.append(ident)
        return result


def run(actions: list[Action], port: FakePort) -> Any:
    return apply_actions(actions, cast(PortClient, port))


def test_upserts_are_grouped_by_blueprint_in_order_of_first_appearance() -> None:
    port = FakePort()
    actions = [up("jiraProject", "P"), up("jiraIssue", "P-1"), up("jiraProject", "Q"), up("jiraIssue", "P-2")]
    result = run(actions, port)
    assert port.calls == [
        ("upsert", "jiraProject", ["P", "Q"], None),
        ("upsert", "jiraIssue", ["P-1", "P-2"], None),
    ]
    assert (result.upserted, result.deleted, result.ok, result.retried) == (4, 0, True, 2)


def test_duplicate_upserts_become_one_entity_at_the_last_position() -> None:
    first = up("jiraIssue", "A", title="old", properties={"status": "To Do", "labels": ["x"]})
    last = up("jiraIssue", "A", title="new", properties={"status": "Done"}, relations={"project": "P"})
    groups = plan([first, up("jiraIssue", "B"), last])
    assert groups == [
        UpsertGroup(
            "jiraIssue",
            [
                {"identifier": "B"},
                {
                    "identifier": "A",
                    "title": "new",
                    "properties": {"status": "Done", "labels": ["x"]},
                    "relations": {"project": "P"},
                },
            ],
        )
    ]
    assert plan([first, up("jiraIssue", "B"), last]) == groups  # deterministic


def test_combine_is_what_two_merge_upserts_leave() -> None:
    earlier = {"identifier": "A", "title": "t", "properties": {"a": 1, "b": 2}, "relations": {"p": "X"}}
    later = {"identifier": "A", "properties": {"b": None}, "relations": {"q": ["Y"]}}
    assert combine(earlier, later) == {
        "identifier": "A",
        "title": "t",
        "properties": {"a": 1, "b": None},
        "relations": {"p": "X", "q": ["Y"]},
    }


def test_an_upsert_then_a_delete_of_the_same_entity_ends_deleted() -> None:
    port = FakePort()
    run([up("jiraIssue", "A"), rm("jiraIssue", "A", True)], port)
    assert [c[0] for c in port.calls] == ["upsert", "delete"]
    assert port.calls[1] == ("delete", "jiraIssue", ["A"], True)


def test_a_delete_then_an_upsert_ends_present() -> None:
    port = FakePort()
    run([rm("jiraIssue", "A"), up("jiraIssue", "A")], port)
    assert [c[0] for c in port.calls] == ["delete", "upsert"]


def test_deletes_are_grouped_by_blueprint_and_dependents_flag() -> None:
    groups = plan(
        [rm("jiraIssue", "A"), rm("jiraIssue", "B", True), rm("jiraIssue", "C", False), rm("jiraIssue", "A")]
    )
    assert groups == [DeleteGroup("jiraIssue", ["A", "C"], False), DeleteGroup("jiraIssue", ["B"], True)]


def test_failures_are_returned_with_their_classification_never_raised() -> None:
    port = FakePort(
        fail={
            "A": (422, "invalid_entity", False),
            "B": (503, "service_unavailable", True),
            "C": (404, "not_found", False),
        },
        gone={"D"},
    )
    result = run(
        [
            up("jiraIssue", "A"),
            up("jiraIssue", "B"),
            up("jiraIssue", "OK"),
            rm("jiraIssue", "C"),
            rm("jiraIssue", "D"),
        ],
        port,
    )
    assert not result.ok
    assert [(f.identifier, f.transient) for f in result.failures] == [("A", False), ("B", True), ("C", False)]
    assert (result.upserted, result.deleted, result.already_gone) == (1, 0, 1)


def test_no_actions_means_no_calls() -> None:
    port = FakePort()
    result = run([], port)
    assert port.calls == [] and result.ok and result.upserted == 0


def test_every_action_gets_its_own_outcome_in_input_order() -> None:
    port = FakePort(fail={"A": (422, "invalid_entity", False), "C": (503, "unavailable", True)}, gone={"D"})
    actions = [
        up("jiraIssue", "A"),
        up("jiraProject", "P"),
        up("jiraIssue", "B", title="one"),
        up("jiraIssue", "B", title="two"),  # combined with the first B: both share its outcome
        rm("jiraIssue", "C"),
        rm("jiraIssue", "D"),
        up("jiraIssue", "C"),  # a later run of the same identifier has its own outcome (it fails again)
    ]
    result = run(actions, port)
    assert [o.action for o in result.outcomes] == actions
    assert [(o.applied, o.already_gone, o.failure.error if o.failure else None) for o in result.outcomes] == [
        (False, False, "invalid_entity"),
        (True, False, None),
        (True, False, None),
        (True, False, None),
        (False, False, "unavailable"),
        (True, True, None),
        (False, False, "unavailable"),
    ]
