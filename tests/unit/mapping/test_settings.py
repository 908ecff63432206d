"""MAPPING_CONFIG / MAPPING_FILE select the mapping; it is compiled once per process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jira_port.mapping import MappingError, load_mapping
from jira_port.settings.mapping import MappingSettings, load_configured_mapping

INLINE = json.dumps([{"blueprint": "inline", "entity": {"identifier": ".body.k"}}])


def test_nothing_set_is_the_bundled_default() -> None:
    settings = MappingSettings.from_env({})
    assert load_configured_mapping(settings).program_text == load_mapping(None).program_text
    assert settings.description == "bundled default mapping"


def test_bundled_name_and_path(tmp_path: Path) -> None:
    assert load_configured_mapping(
        MappingSettings.from_env({"MAPPING_FILE": "server-guide"})
    ) is load_mapping("server-guide")
    path = tmp_path / "m.json"
    path.write_text(INLINE, encoding="utf-8")
    mapping = load_configured_mapping(MappingSettings.from_env({"MAPPING_FILE": str(path)}))
    assert mapping.blueprints == frozenset({"inline"})


def test_inline_config_wins_and_is_cached() -> None:
    env = {"MAPPING_FILE": "cloud-guide", "MAPPING_CONFIG": INLINE}
    settings = MappingSettings.from_env(env)
    first = load_configured_mapping(settings)
    assert first.blueprints == frozenset({"inline"})
    assert load_configured_mapping(MappingSettings.from_env(env)) is first
    assert settings.description == "MAPPING_CONFIG (inline)"


def test_inline_yaml_and_errors_name_the_variable() -> None:
    yaml_text = "- blueprint: y\n  entity: {identifier: .body.k}\n"
    assert load_configured_mapping(MappingSettings.from_env({"MAPPING_CONFIG": yaml_text})).blueprints == {
        "y"
    }
    with pytest.raises(MappingError, match=r"invalid MAPPING_CONFIG: rule 0, entity\.identifier: jq error"):
        load_configured_mapping(
            MappingSettings.from_env(
                {"MAPPING_CONFIG": '[{"blueprint": "x", "entity": {"identifier": "|"}}]'}
            )
        )
