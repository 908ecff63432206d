"""Real Jira bodies copied from ../shared/fixtures into tests/fixtures (tests never read ../shared)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def load_fixture(relative: str) -> Any:
    """Parse ``tests/fixtures/<relative>`` as JSON."""
    return json.loads((FIXTURES / relative).read_text(encoding="utf-8"))


def fixture_paths(folder: str) -> list[Path]:
    """Every ``*.json`` file of ``tests/fixtures/<folder>``, sorted."""
    return sorted((FIXTURES / folder).glob("*.json"))


def capture_issues() -> list[dict[str, Any]]:
    """Every issue (REST v2/v3 shape with fields) among the captured webhooks and API answers."""
    found = []
    for path in fixture_paths("jira-webhooks") + fixture_paths("jira-api"):
        body = load_fixture(f"{path.parent.name}/{path.name}")
        issue = body.get("issue") if "issue" in body else body if "fields" in body else None
        if isinstance(issue, dict) and isinstance(issue.get("fields"), dict):
            found.append(issue)
    return found
