"""Port-typing details of the produced entities."""

from __future__ import annotations

from jira_port.mapping import load_mapping_text


def test_null_title_and_icon_are_left_out_of_upserts() -> None:
    # Given a rule whose title and icon evaluate to null (Port's spec types both as strings)
    mapping = load_mapping_text(
        '[{"blueprint": "b", "entity": {"identifier": ".body.k", "title": ".body.nope",'
        ' "icon": ".body.nope", "properties": {"p": ".body.nope"}}}]'
    )
    # When an event maps
    [action] = mapping.evaluate({"k": "K-1"})
    # Then title and icon are absent (a merge keeps Port's values) while a null property is sent
    assert action.entity == {"identifier": "K-1", "properties": {"p": None}, "relations": {}}
