"""The catalog kinds in tests and the kinds benchmark: the product's own default mapping and blueprints
(which map every kind), and the same mapping without its kind rules (projects and issues only)."""

from __future__ import annotations

from typing import Any

import yaml

from jira_port.mapping import CompiledMapping, load_mapping
from jira_port.mapping.load import bundled_mapping_text, load_mapping_text
from jira_port_tools.blueprints import bundled_blueprints, dependency_order

KIND_BLUEPRINTS = ("jiraUser", "jiraBoard", "jiraSprint", "jiraVersion", "jiraComponent")


def kinds_mapping() -> CompiledMapping:
    """The bundled default mapping, which has rules for every kind."""
    return load_mapping(None)


def kinds_blueprints() -> list[dict[str, Any]]:
    """The bundled blueprints, in dependency order."""
    return dependency_order(bundled_blueprints())


def without_kind_rules_text() -> str:
    """The default mapping's YAML without its kind rules (its project and issue rules)."""
    rules = yaml.safe_load(bundled_mapping_text("default"))
    kept = [r for r in rules if r["blueprint"] in ("jiraProject", "jiraIssue")]
    assert len(kept) < len(rules)
    return yaml.safe_dump(kept, sort_keys=False)


def without_kind_rules() -> CompiledMapping:
    """The default mapping without its kind rules: a backfill with it reads projects and issues only."""
    return load_mapping_text(without_kind_rules_text(), "yaml", "default without kinds")
