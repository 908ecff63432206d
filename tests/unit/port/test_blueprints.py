"""Blueprints: bundled definitions, dependency order, idempotent apply (created/updated/unchanged)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from jira_port.errors import ConfigError
from jira_port_emulators.port import PortEmulator
from jira_port_tools.blueprints import (
    apply_blueprints,
    bundled_blueprints,
    covers,
    dependency_order,
    first_stage,
    merged_definition,
    validate_definition,
)
from jira_port_tools.port_admin import update_blueprint
from tests.support.port_emulator import client_for, new_emulator


def bp(ident: str, *targets: str, required: bool = False) -> dict[str, Any]:
    relations = {f"to_{t}": {"target": t, "required": required, "many": False} for t in targets}
    return {
        "identifier": ident,
        "title": ident.title(),
        "schema": {"properties": {}, "required": []},
        "relations": relations,
    }


def writes(emu: PortEmulator) -> list[tuple[str, str]]:
    return [
        (r.method, r.path)
        for r in emu.requests
        if r.method in {"POST", "PUT"} and r.path.startswith("/v1/blueprints")
    ]


def test_bundled_blueprints_are_valid_and_relate_as_expected() -> None:
    found = {d["identifier"]: d for d in bundled_blueprints()}
    assert {"jiraProject", "jiraIssue"} <= set(found)
    targets = {r["target"] for r in found["jiraIssue"]["relations"].values()}
    assert {"jiraProject", "jiraIssue"} <= targets
    assert [d["identifier"] for d in dependency_order(list(found.values()))].index("jiraProject") < [
        d["identifier"] for d in dependency_order(list(found.values()))
    ].index("jiraIssue")


def test_definitions_are_checked() -> None:
    with pytest.raises(ConfigError, match="identifier"):
        validate_definition({"title": "x", "schema": {"properties": {}}}, "x.json")
    with pytest.raises(ConfigError, match="target, required and many"):
        validate_definition({**bp("a"), "relations": {"r": {"target": "b"}}}, "a.json")


def test_dependency_order_puts_targets_first_and_tolerates_cycles() -> None:
    order = [
        d["identifier"]
        for d in dependency_order([bp("issue", "project", "issue"), bp("project"), bp("x", "issue")])
    ]
    assert order == ["project", "issue", "x"]
    assert {d["identifier"] for d in dependency_order([bp("a", "b"), bp("b", "a")])} == {"a", "b"}


def test_first_stage_defers_relations_to_missing_targets_and_itself() -> None:
    issue = {
        **bp("issue", "project", "issue"),
        "mirrorProperties": {"projectName": {"path": "to_project.$title"}},
    }
    stage = first_stage(issue, {"project"})
    assert set(stage["relations"]) == {"to_project"} and "mirrorProperties" not in stage
    assert first_stage(bp("project"), set()) is not None


def test_merge_keeps_what_a_user_added_and_lays_the_bundle_over_it() -> None:
    current = {
        "identifier": "issue",
        "title": "Old",
        "createdAt": "t",
        "schema": {
            "properties": {"mine": {"type": "string"}, "status": {"type": "number"}},
            "required": ["mine"],
        },
        "relations": {"custom": {"target": "x", "required": False, "many": False}},
    }
    desired = {**bp("issue"), "schema": {"properties": {"status": {"type": "string"}}, "required": []}}
    merged = merged_definition(current, desired)
    assert "createdAt" not in merged and merged["title"] == "Issue"
    assert merged["schema"]["properties"] == {"mine": {"type": "string"}, "status": {"type": "string"}}
    assert merged["schema"]["required"] == ["mine"]
    assert set(merged["relations"]) == {"custom"}


def test_covers_ignores_additions_and_compares_values() -> None:
    assert covers({"a": 1, "b": 2, "createdAt": "x"}, {"a": 1})
    assert covers({"required": ["b", "a"]}, {"required": ["a", "b"]})
    assert covers({}, {"mirrorProperties": {}})
    assert not covers({"a": 1}, {"a": 2})
    assert not covers({"flag": 1}, {"flag": True})
    assert not covers({"x": [1, 2]}, {"x": [1]})


def test_apply_creates_in_dependency_order_then_is_idempotent() -> None:
    emu = new_emulator(with_blueprints=False)
    with emu.running(), client_for(emu) as client:
        first = apply_blueprints(client, bundled_blueprints())
        assert {c.identifier: c.outcome for c in first} == dict.fromkeys(ALL_BUNDLED, "created")
        # Targets first; jiraIssue's relation to itself waits for the second pass.
        assert writes(emu) == [("POST", "/v1/blueprints")] * 7 + [("PUT", "/v1/blueprints/jiraIssue")]
        stored = emu.blueprints()
        for definition in bundled_blueprints():
            assert covers(stored[definition["identifier"]], definition)
        emu.clear_requests()
        second = apply_blueprints(client, bundled_blueprints())
        assert {c.outcome for c in second} == {"unchanged"}
        assert writes(emu) == []


def test_apply_updates_a_changed_blueprint_and_keeps_user_additions() -> None:
    emu = new_emulator()
    with emu.running(), client_for(emu) as client:
        changed = copy.deepcopy(emu.blueprints()["jiraIssue"])
        changed["title"] = "Renamed in the UI"
        changed["schema"]["properties"]["team"] = {"type": "string", "title": "Team"}
        assert emu.url is not None
        with client_for(emu) as other:
            update_blueprint(other, {k: v for k, v in changed.items() if not k.endswith(("At", "By"))})
        emu.clear_requests()
        dry = apply_blueprints(client, bundled_blueprints(), dry_run=True)
        assert {c.identifier: c.outcome for c in dry}["jiraIssue"] == "updated" and writes(emu) == []
        result = apply_blueprints(client, bundled_blueprints())
        assert {c.identifier: c.outcome for c in result} == {
            **dict.fromkeys(ALL_BUNDLED, "unchanged"),
            "jiraIssue": "updated",
        }
        stored = emu.blueprints()["jiraIssue"]
        assert stored["title"] == "Jira Issue" and "team" in stored["schema"]["properties"]
        assert {c.outcome for c in apply_blueprints(client, bundled_blueprints())} == {"unchanged"}


ALL_BUNDLED = (
    "jiraBoard",
    "jiraComponent",
    "jiraIssue",
    "jiraProject",
    "jiraSprint",
    "jiraUser",
    "jiraVersion",
)
NEW_ISSUE_RELATIONS = ("assigneeUser", "reporterUser", "sprint", "fixVersions", "jiraComponents")


def previous_release() -> list[dict[str, Any]]:
    """jiraProject and jiraIssue as the release before issue #13 shipped them (no new kinds)."""
    kept = {d["identifier"]: copy.deepcopy(d) for d in bundled_blueprints()}
    project, issue = kept["jiraProject"], kept["jiraIssue"]
    del project["schema"]["properties"]["projectId"]
    issue["relations"] = {k: v for k, v in issue["relations"].items() if k not in NEW_ISSUE_RELATIONS}
    return [project, issue]


def test_apply_on_an_existing_installation_is_additive_and_keeps_what_the_user_added() -> None:
    emu = new_emulator(with_blueprints=False)
    with emu.running(), client_for(emu) as client:
        apply_blueprints(client, previous_release())
        user_issue = copy.deepcopy(emu.blueprints()["jiraIssue"])
        user_issue["schema"]["properties"]["team"] = {"type": "string", "title": "Team"}
        user_issue["schema"]["required"] = ["team"]
        user_issue["relations"]["service"] = {"target": "jiraProject", "required": False, "many": False}
        user_project = copy.deepcopy(emu.blueprints()["jiraProject"])
        user_project["relations"]["lead"] = {"target": "jiraIssue", "required": False, "many": False}
        for changed in (user_issue, user_project):
            update_blueprint(client, {k: v for k, v in changed.items() if not k.endswith(("At", "By"))})
        emu.clear_requests()
        result = apply_blueprints(client, bundled_blueprints())
        assert {c.identifier: c.outcome for c in result} == {
            **dict.fromkeys(ALL_BUNDLED, "created"),
            "jiraIssue": "updated",
            "jiraProject": "updated",
        }
        # The new kinds exist before jiraIssue's relations to them are added; nothing is deleted.
        assert sorted(writes(emu)) == sorted(
            [("POST", "/v1/blueprints")] * 5
            + [("PUT", "/v1/blueprints/jiraProject"), ("PUT", "/v1/blueprints/jiraIssue")]
        )
        assert writes(emu)[-1] == ("PUT", "/v1/blueprints/jiraIssue")
        stored = emu.blueprints()
        issue, project = stored["jiraIssue"], stored["jiraProject"]
        assert set(NEW_ISSUE_RELATIONS) | {"service", "project", "parentIssue", "subtasks"} == set(
            issue["relations"]
        )
        assert "team" in issue["schema"]["properties"] and issue["schema"]["required"] == ["team"]
        assert set(project["relations"]) == {"lead"} and "projectId" in project["schema"]["properties"]
        for definition in bundled_blueprints():
            assert covers(stored[definition["identifier"]], definition)
        assert {c.outcome for c in apply_blueprints(client, bundled_blueprints())} == {"unchanged"}


def test_apply_handles_mutual_relations() -> None:
    emu = new_emulator(with_blueprints=False)
    with emu.running(), client_for(emu) as client:
        outcomes = apply_blueprints(client, [bp("a", "b"), bp("b", "a")])
        assert [c.outcome for c in outcomes] == ["created", "created"]
        stored = emu.blueprints()
        assert set(stored["a"]["relations"]) == {"to_b"} and set(stored["b"]["relations"]) == {"to_a"}
        assert apply_blueprints(client, [bp("a", "b")])[0].outcome == "unchanged"
