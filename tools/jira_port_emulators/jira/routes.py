"""The emulator's route table for one flavour."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jira_port_emulators.jira.routes_admin import admin_routes
from jira_port_emulators.jira.routes_agile import agile_routes
from jira_port_emulators.jira.routes_fields import field_routes
from jira_port_emulators.jira.routes_jql import jql_routes
from jira_port_emulators.jira.routes_kinds import kind_routes
from jira_port_emulators.jira.routes_search import search_routes
from jira_port_emulators.jira.routes_site import site_routes
from jira_port_emulators.jira.routes_write import write_routes
from jira_port_emulators.jira.server import Route

if TYPE_CHECKING:
    from jira_port_emulators.jira.emulator import JiraEmulator


def all_routes(emu: JiraEmulator) -> list[Route]:
    """Every endpoint ``emu`` serves (Cloud- or Server-specific ones per its flavour)."""
    return [
        *kind_routes(emu),  # before site_routes: project/{key}/version(s) and user/... are more specific
        *agile_routes(emu),
        *search_routes(emu.flavour),
        *site_routes(emu.flavour),
        *write_routes(emu),
        *admin_routes(emu),
        *jql_routes(emu.flavour),
        *field_routes(),
    ]
