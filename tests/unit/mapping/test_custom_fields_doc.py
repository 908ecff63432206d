"""docs/mapping.md, "Custom fields": the YAML shown is the shipped example, and it maps real captures."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

from jira_port.mapping import load_mapping_text
from jira_port.settings.mapping import MappingSettings, load_configured_mapping
from tests.support.fixtures import load_fixture

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "layers/jira_port/jira_port/data/mappings/custom-fields.yaml"
# Cloud sprint objects as GET /rest/api/3/issue returns them (the Jira Software field's shape)
CLOUD_SPRINTS = [
    {"id": 1, "name": "Sprint 1", "state": "closed", "boardId": 1, "goal": ""},
    {"id": 2, "name": "Sprint 2", "state": "active", "boardId": 1, "goal": ""},
]
SERVER_SPRINT = (
    "com.atlassian.greenhopper.service.sprint.Sprint@38c6bd04[id=1,rapidViewId=2,state=ACTIVE,"
    "name=SCRUM1 Sprint 1,goal=,startDate=2019-05-23T14:02:10.170Z,endDate=2019-06-06T14:02:00.000Z,"
    "completeDate=<null>,sequence=1]"
)


def _doc_yaml() -> str:
    text = (ROOT / "docs/mapping.md").read_text(encoding="utf-8")
    section = text.split("## Custom fields", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```yaml\n(.*?)```", section, flags=re.DOTALL)
    return str(block)


def _event(name: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(load_fixture(f"jira-webhooks/{name}"))
    body["issue"]["fields"].update(fields)
    return body


def test_the_doc_shows_the_shipped_example() -> None:
    assert _doc_yaml() == SHIPPED.read_text(encoding="utf-8")


def test_story_points_sprint_and_component_names_from_a_cloud_capture() -> None:
    mapping = load_mapping_text(_doc_yaml(), "yaml", "docs example", limits=None)
    event = _event(
        "webhook-issue-updated-components.json", customfield_10016=5, customfield_10020=CLOUD_SPRINTS
    )
    (action,) = mapping.evaluate(event, {})
    assert action.entity["identifier"] == event["issue"]["key"]
    assert action.entity["properties"]["storyPoints"] == 5
    assert action.entity["properties"]["sprint"] == "Sprint 2"
    assert action.entity["properties"]["components"] == ["Special Component"]


def test_the_sprint_name_from_a_server_capture_and_nulls_when_unset() -> None:
    mapping = load_mapping_text(_doc_yaml(), "yaml", "docs example", limits=None)
    event = _event("webhook-server-issue-updated-many-fields.json", customfield_10020=[SERVER_SPRINT])
    (action,) = mapping.evaluate(event, {})
    assert action.entity["properties"]["sprint"] == "SCRUM1 Sprint 1"
    (unset,) = mapping.evaluate(_event("webhook-issue-updated-labels.json"), {})
    assert unset.entity["properties"]["storyPoints"] is None
    assert unset.entity["properties"]["sprint"] is None


def test_the_identifier_prefix_applies_to_the_example_from_the_layer_folder() -> None:
    settings = MappingSettings.from_env(
        {"MAPPING_SOURCE": "custom-fields.yaml", "MAPPING_IDENTIFIER_PREFIX": "eu:"}
    )
    event = _event("webhook-issue-updated-components.json")
    (action,) = load_configured_mapping(settings).evaluate(event, {})
    assert action.entity["identifier"] == f"eu:{event['issue']['key']}"
    assert action.entity["relations"]["project"] == f"eu:{event['issue']['fields']['project']['key']}"
