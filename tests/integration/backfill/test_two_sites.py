"""Two Jira sites, two stacks, one Port: identifier prefixes keep colliding keys apart, ownership keeps
each stack's full runs off the other's entities, and both catalogs equal their Jira."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from jira_port.backfill.runtime import BackfillRequest
from jira_port.errors import ConfigError
from jira_port.mapping import load_mapping
from jira_port.port.types import Action
from jira_port.settings.mapping import MappingSettings, load_configured_mapping
from jira_port_emulators.jira import JiraEmulator, generate_dataset
from jira_port_emulators.port import PortEmulator
from jira_port_tools.blueprints import bundled_blueprints, dependency_order
from jira_port_tools.state_file import FileTable
from jira_port_tools.summary_text import render_summary
from tests.support.port_emulator import CLIENT_ID, CLIENT_SECRET, client_for

from .conftest import Sites, comparable, mapped_jira_state, sites
from .test_ownership import delete_leaf_issues

FULL = BackfillRequest("full")


def test_the_affix_goes_on_identifiers_and_relations_to_own_blueprints_only() -> None:
    mapping = load_mapping(None).for_site(prefix="eu:")
    assert mapping.affix.relations == {
        ("jiraIssue", "project"),
        ("jiraIssue", "parentIssue"),
        ("jiraIssue", "subtasks"),
        *(("jiraIssue", r) for r in ("assigneeUser", "reporterUser", "sprint", "fixVersions")),
        ("jiraIssue", "jiraComponents"),
        ("jiraBoard", "projects"),
        ("jiraSprint", "board"),
        ("jiraVersion", "project"),
        ("jiraComponent", "project"),
    }
    action = Action(
        "upsert",
        "jiraIssue",
        {
            "identifier": "ABC-1",
            "relations": {
                "project": "ABC",
                "subtasks": ["ABC-2"],
                "service": "svc",
                "parentIssue": None,
            },
        },
    )
    entity = mapping.affix.apply(action).entity
    assert entity["identifier"] == "eu:ABC-1"
    assert entity["relations"] == {
        "project": "eu:ABC",
        "subtasks": ["eu:ABC-2"],
        "service": "svc",
        "parentIssue": None,
    }
    query = {"combinator": "and", "rules": [{"property": "projectId", "operator": "=", "value": "10000"}]}
    version = mapping.affix.apply(
        Action("upsert", "jiraVersion", {"identifier": "1", "relations": {"project": query}})
    )
    assert version.entity["relations"]["project"] == {
        "combinator": "and",
        "rules": [query, {"property": "$identifier", "operator": "contains", "value": "eu:"}],
    }
    delete = mapping.affix.apply(Action("delete", "jiraIssue", {"identifier": "ABC-1"}))
    assert delete.identifier == "eu:ABC-1"


def test_the_settings_wrap_the_configured_mapping_and_refuse_characters_port_refuses() -> None:
    plain = load_configured_mapping(MappingSettings.from_env({}))
    assert plain.affix.name("A-1") == "A-1"
    site = load_configured_mapping(MappingSettings.from_env({"MAPPING_IDENTIFIER_SUFFIX": "@us"}))
    assert site.affix.name("A-1") == "A-1@us"
    with pytest.raises(ConfigError, match="MAPPING_IDENTIFIER_PREFIX"):
        MappingSettings.from_env({"MAPPING_IDENTIFIER_PREFIX": "eu #"})


@contextmanager
def two_sites(tmp: Path) -> Iterator[tuple[Sites, Sites]]:
    """Two Jira sites generated from the same seed (so every key collides) and one Port."""
    port = PortEmulator(CLIENT_ID, CLIENT_SECRET, blueprints=dependency_order(bundled_blueprints()))
    port.add_credentials("us-stack", "us-secret")
    jiras = [JiraEmulator(generate_dataset(3, 90, flavour="cloud", seed=21)) for _ in range(2)]
    with ExitStack() as stack:
        stack.enter_context(port.running())
        for jira in jiras:
            stack.enter_context(jira.running())
        yield Sites(jiras[0], port, "cloud", tmp / "eu"), Sites(jiras[1], port, "cloud", tmp / "us")


def test_two_stacks_keep_each_others_entities_and_equal_their_own_jira(tmp_path: Path) -> None:
    with two_sites(tmp_path) as (eu, us):
        mappings = {
            "eu": load_mapping(None).for_site(prefix="eu:"),
            "us": load_mapping(None).for_site(prefix="us:"),
        }

        def run(site: Sites, name: str) -> None:
            port = (
                client_for(site.port)
                if name == "eu"
                else client_for(site.port, client_id="us-stack", client_secret="us-secret")
            )
            summary = site.service(
                table=FileTable(tmp_path / f"{name}.json"), port=port, mapping=mappings[name]
            ).invoke(FULL)
            assert summary.status == "succeeded", render_summary(summary)

        def assert_catalogs_equal_jira() -> None:
            for site, name in ((eu, "eu"), (us, "us")):
                expected = comparable(mapped_jira_state(site, mappings[name]))
                for blueprint, entities in expected.items():
                    stored = {
                        i: {k: e.get(k) for k in ("title", "properties", "relations")}
                        for i, e in eu.port.entities(blueprint).items()
                        if i.startswith(f"{name}:")
                    }
                    assert stored == entities, (name, blueprint)

        run(eu, "eu")
        run(us, "us")
        issues = eu.port.entities("jiraIssue")
        assert len(issues) == 180 and {i.split(":")[0] for i in issues} == {"eu", "us"}
        assert issues["us:" + next(iter(sorted(i[3:] for i in issues)))]["createdBy"] == "us-stack"
        assert_catalogs_equal_jira()

        gone_eu = delete_leaf_issues(eu.jira, 5, 1)
        gone_us = delete_leaf_issues(us.jira, 4, 2)
        before = set(eu.port.entities("jiraIssue"))
        run(eu, "eu")
        run(us, "us")

        assert before - set(eu.port.entities("jiraIssue")) == {f"eu:{k}" for k in gone_eu} | {
            f"us:{k}" for k in gone_us
        }
        assert_catalogs_equal_jira()


def test_adding_a_prefix_later_recreates_the_catalog_and_the_next_full_run_removes_the_old_ids(
    tmp_path: Path,
) -> None:
    with sites(tmp_path, projects=2, issues=60) as site:
        table = FileTable(tmp_path / "state.json")
        assert site.service(table=table).invoke(FULL).status == "succeeded"
        old = set(site.port.entities("jiraIssue"))

        summary = site.service(table=table, mapping=load_mapping(None).for_site(prefix="eu:")).invoke(FULL)

        assert summary.status == "succeeded", render_summary(summary)
        assert set(site.port.entities("jiraIssue")) == {f"eu:{i}" for i in old}
        assert summary.reconciliation is not None
        assert summary.reconciliation["blueprints"]["jiraIssue"]["deleted"] == len(old)
