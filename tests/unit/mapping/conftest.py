"""Shared fixtures of the mapping tests."""

from __future__ import annotations

from typing import Any

import pytest

from jira_port.mapping.bounded import BoundedJq


@pytest.fixture
def round_trips(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The kind of every request the jq workers get from now on (``R`` one event, ``B`` a batch)."""
    kinds: list[bytes] = []
    call = BoundedJq._call

    def counted(self: BoundedJq, *args: Any) -> Any:
        kinds.append(args[2])
        return call(self, *args)

    monkeypatch.setattr(BoundedJq, "_call", counted)
    return kinds
