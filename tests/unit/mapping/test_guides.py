"""Each Port guide's own mapping config, on its sample payload, gives the documented Mapping Result."""

from __future__ import annotations

import pytest

from jira_port.mapping import load_mapping
from tests.support.fixtures import load_fixture


@pytest.mark.parametrize("guide", ["cloud-guide", "server-guide"])
def test_guide_mapping_gives_the_documented_mapping_result(guide: str) -> None:
    # Given the guide's payload, its documented result and its own mapping (bundled)
    payload = load_fixture(f"port-guides/{guide}-payload.json")
    documented = load_fixture(f"port-guides/{guide}-mapping-result.json")
    mapping = load_mapping(guide)
    # When
    result = mapping.evaluate_detailed(payload, {"x-jira-port-source": "webhook"})
    # Then exactly one entity, equal to the documented one (blueprint and the filter outcome aside)
    assert result.warnings == []
    (action,) = result.actions
    assert action.operation == "upsert"
    assert action.blueprint == documented.pop("blueprint")
    if "filter" in documented:  # the Server guide prints the outcome of the rule's filter
        assert documented.pop("filter") is True
        assert mapping.rules[action.rule].filter is not None
        assert mapping.relevant(payload) is True
    assert action.entity == documented


def test_server_guide_maps_project_events_and_ignores_others() -> None:
    mapping = load_mapping("server-guide")
    project = {
        "self": "https://jira.example.com/rest/api/2/project/10001",
        "id": 10001,
        "key": "BSD",
        "name": "Basic Soft Dev",
    }
    (action,) = mapping.evaluate({"webhookEvent": "project_created", "project": project})
    assert action.entity == {
        "identifier": "BSD",
        "title": "Basic Soft Dev",
        "properties": {"url": "https://jira.example.com/rest/api/2/project/10001"},
        "relations": {},
    }
    assert mapping.evaluate({"webhookEvent": "project_deleted", "project": project}) == []
