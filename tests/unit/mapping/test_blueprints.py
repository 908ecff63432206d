"""The bundled blueprints are valid for Port's POST /v1/blueprints and keep the guides' names."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
import pytest
import yaml

from tests.support.fixtures import FIXTURES

OPENAPI = FIXTURES.parent / "openapi" / "port-api.yaml"
NAMES = ["jiraProject", "jiraIssue", "jiraUser", "jiraBoard", "jiraSprint", "jiraVersion", "jiraComponent"]


class _SpecLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Port's spec carries a `tag:yaml.org,2002:value` tag that SafeLoader rejects."""


_SpecLoader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


@cache
def create_blueprint_schema() -> dict[str, Any]:
    spec = yaml.load(OPENAPI.read_text(encoding="utf-8"), Loader=_SpecLoader)  # noqa: S506
    schema = spec["paths"]["/v1/blueprints"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    # Python's re has no \p{L}; \w is the closest (letters, digits, underscore).
    text = json.dumps(schema).replace("\\\\p{L}", "\\\\w")
    return {**json.loads(text), "components": spec.get("components", {})}


def bundled(name: str) -> dict[str, Any]:
    text = resources.files("jira_port").joinpath("data", "blueprints", f"{name}.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@pytest.mark.parametrize("name", NAMES)
def test_blueprint_is_valid_for_ports_create_route(name: str) -> None:
    blueprint = bundled(name)
    errors = list(jsonschema.Draft202012Validator(create_blueprint_schema()).iter_errors(blueprint))
    assert [e.message for e in errors] == []
    assert blueprint["identifier"] == name
    for relation in blueprint["relations"].values():
        assert relation["target"] in NAMES
        assert set(relation) >= {"target", "required", "many"}


def test_property_names_follow_the_guides() -> None:
    project = bundled("jiraProject")["schema"]["properties"]
    issue = bundled("jiraIssue")
    properties = issue["schema"]["properties"]
    assert {"url", "projectType"} <= set(project)
    assert project["url"]["format"] == "url"
    server_guide = {"url", "status", "issueType", "components", "assignee", "reporter", "priority", "creator"}
    cloud_guide = {"summary", "description", "lastChangeType", "changingUser", "issueUrl"}
    extra = {"labels", "created", "updated", "resolutionDate"}
    assert server_guide | cloud_guide | extra == set(properties)
    assert all(properties[p]["format"] == "date-time" for p in ("created", "updated", "resolutionDate"))
    assert "enum" not in properties["issueType"] and "enum" not in properties["status"]
    assert "format" not in properties["assignee"]  # a Cloud accountId is not an e-mail address
    assert {k: (v["target"], v["many"]) for k, v in issue["relations"].items()} == {
        "project": ("jiraProject", False),
        "parentIssue": ("jiraIssue", False),
        "subtasks": ("jiraIssue", True),
        "assigneeUser": ("jiraUser", False),
        "reporterUser": ("jiraUser", False),
        "sprint": ("jiraSprint", False),
        "fixVersions": ("jiraVersion", True),
        "jiraComponents": ("jiraComponent", True),
    }


def test_relations_of_the_new_kinds_and_no_name_is_both_a_property_and_a_relation() -> None:
    relations = {
        name: {k: (v["target"], v["many"], v["required"]) for k, v in bundled(name)["relations"].items()}
        for name in NAMES
    }
    assert relations["jiraSprint"] == {"board": ("jiraBoard", False, False)}
    assert relations["jiraVersion"] == {"project": ("jiraProject", False, False)}
    assert relations["jiraComponent"] == {"project": ("jiraProject", False, False)}
    assert relations["jiraBoard"] == {"projects": ("jiraProject", True, False)}
    assert relations["jiraUser"] == {}
    # Whether Port lets a relation share an identifier with a property is undocumented: never rely on it.
    for name in NAMES:
        definition = bundled(name)
        assert not set(definition["relations"]) & set(definition["schema"]["properties"]), name
    assert "projectId" in bundled("jiraProject")["schema"]["properties"]
