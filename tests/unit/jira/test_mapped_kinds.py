"""``mapped_kinds``: a mapping's rules decide which kinds the backfill reads."""

from __future__ import annotations

import yaml

from jira_port.jira.kinds import KINDS, SAMPLE_ITEMS, kind_event, mapped_kinds
from jira_port.mapping.load import bundled_mapping_text, load_mapping, load_mapping_text
from tests.support.kinds import without_kind_rules


def test_the_default_mapping_maps_every_kind_and_without_kind_rules_none() -> None:
    assert mapped_kinds(load_mapping().relevant) == frozenset(KINDS)
    assert mapped_kinds(without_kind_rules().relevant) == frozenset()  # issues and projects only


def test_a_mapping_without_sprint_rules_does_not_want_sprints() -> None:
    rules = [r for r in yaml.safe_load(bundled_mapping_text("default")) if r["blueprint"] != "jiraSprint"]
    compiled = load_mapping_text(yaml.safe_dump(rules), "yaml")
    assert mapped_kinds(compiled.relevant) == frozenset({"user", "board", "version", "component"})


def test_sample_bodies_map_to_one_entity_each() -> None:
    compiled = load_mapping()
    for kind in KINDS:
        actions = compiled.evaluate(kind_event(kind, SAMPLE_ITEMS[kind], 1))
        assert len(actions) == 1 and actions[0].entity["identifier"], kind
