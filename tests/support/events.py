"""The one loader for canned events in ``events/`` (also used with ``sam local invoke -e``)."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parents[2] / "events"


@cache
def _read(name: str) -> dict[str, Any]:
    path = EVENTS / (name if name.endswith(".json") else f"{name}.json")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def load_event(name: str) -> dict[str, Any]:
    """A fresh deep copy of ``events/<name>.json``; tests may mutate it freely."""
    return copy.deepcopy(_read(name))


def event_names() -> list[str]:
    """Names of every canned event."""
    return sorted(p.stem for p in EVENTS.glob("*.json"))
