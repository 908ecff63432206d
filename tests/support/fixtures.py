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
