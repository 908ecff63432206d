"""The blueprint definitions bundled with jira-port (``data/blueprints/*.json``).

The sync and backfill functions read them to know which relations point at the mapping's own blueprints
(the per-site identifier affix); ``jira-port blueprints apply`` applies them to Port.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from jira_port.errors import ConfigError


def bundled_blueprints() -> list[dict[str, Any]]:
    """The blueprint definitions shipped in ``jira_port/data/blueprints/*.json``, by file name."""
    folder = resources.files("jira_port.data").joinpath("blueprints")
    definitions = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        try:
            data = json.loads(entry.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"bundled blueprint {entry.name} is not valid JSON: {exc}") from None
        validate_definition(data, entry.name)
        definitions.append(data)
    return definitions


def validate_definition(data: Any, source: str) -> None:
    """Raise ``ConfigError`` unless ``data`` looks like a Port blueprint definition."""
    if not isinstance(data, dict):
        raise ConfigError(f"blueprint {source} must be a JSON object")
    for key in ("identifier", "title"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise ConfigError(f"blueprint {source} needs a non-empty string {key!r}")
    schema = data.get("schema")
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        raise ConfigError(f"blueprint {source} needs schema.properties")
    for rel_id, rel in (data.get("relations") or {}).items():
        if not isinstance(rel, dict) or not all(k in rel for k in ("target", "required", "many")):
            raise ConfigError(f"blueprint {source}: relation {rel_id!r} needs target, required and many")
