"""Fixtures of the Port tests: ``api`` = raw HTTP access to a running emulator with test blueprints."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from jira_port_emulators.port import PortEmulator, PortFaults
from tests.unit.port.emulator_support import SERVICE, TEAM, Api, Clock


@pytest.fixture
def api() -> Iterator[Api]:
    clock = Clock()
    emu = PortEmulator("cid", "csecret", 60.0, PortFaults(), blueprints=[TEAM, SERVICE], clock=clock)
    with emu.running(), requests.Session() as session:
        yield Api(emu, clock, session)
