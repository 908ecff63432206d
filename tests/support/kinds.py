"""The catalog kinds' test mapping and blueprints (tests/fixtures/kinds), until the bundled default maps
the kinds: shared by the backfill tests and the kinds benchmark."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from jira_port.mapping import CompiledMapping
from jira_port.mapping.load import bundled_mapping_text, load_mapping_text
from jira_port_tools.blueprints import bundled_blueprints, dependency_order

FIXTURES = Path(__file__).parents[1] / "fixtures" / "kinds"
KINDS_MAPPING = FIXTURES / "kinds-mapping.yaml"
KIND_BLUEPRINTS = ("jiraUser", "jiraBoard", "jiraSprint", "jiraVersion", "jiraComponent")


def kinds_mapping_text() -> str:
    """The bundled default mapping plus the kinds test mapping, as YAML text."""
    rules = yaml.safe_load(bundled_mapping_text("default")) + yaml.safe_load(KINDS_MAPPING.read_text())
    return yaml.safe_dump(rules, sort_keys=False)


def kinds_mapping() -> CompiledMapping:
    """The bundled default mapping plus the kinds test mapping."""
    return load_mapping_text(kinds_mapping_text(), "yaml", "default + kinds")


def kinds_blueprints() -> list[dict[str, Any]]:
    """The bundled blueprints plus the kinds' test blueprints, in dependency order."""
    return dependency_order(bundled_blueprints() + json.loads((FIXTURES / "blueprints.json").read_text()))
