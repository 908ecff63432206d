"""``GET /rest/api/{2,3}/field``: the system and custom fields of the emulated site.

Shape: ``FieldDetails`` of the Cloud platform spec (tests/openapi/jira-cloud-platform.v3.json, ``Get
fields``): ``id``, ``key``, ``name``, ``custom``, ``orderable``, ``navigable``, ``searchable``,
``clauseNames`` and ``schema`` (``type``, plus ``system`` for system fields, ``custom`` and ``customId``
for custom ones). Server/Data Center answers the same list (REST API 2, ``/rest/api/2/field``).
The custom fields are exactly those the emulator renders on issues (``custom_fields``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jira_port_emulators.jira.custom_fields import CLOUD_CUSTOM, SERVER_CUSTOM
from jira_port_emulators.jira.server import Request, Route, route

if TYPE_CHECKING:
    from jira_port_emulators.jira.emulator import JiraEmulator

# system field id -> (name, schema type, items)
SYSTEM_FIELDS = {
    "summary": ("Summary", "string", None),
    "description": ("Description", "string", None),
    "status": ("Status", "status", None),
    "issuetype": ("Issue Type", "issuetype", None),
    "project": ("Project", "project", None),
    "priority": ("Priority", "priority", None),
    "assignee": ("Assignee", "user", None),
    "reporter": ("Reporter", "user", None),
    "creator": ("Creator", "user", None),
    "labels": ("Labels", "array", "string"),
    "components": ("Components", "array", "component"),
    "fixVersions": ("Fix versions", "array", "version"),
    "parent": ("Parent", "issuelink", None),
    "subtasks": ("Sub-tasks", "array", "issuelinks"),
    "created": ("Created", "datetime", None),
    "updated": ("Updated", "datetime", None),
    "resolutiondate": ("Resolved", "datetime", None),
}
# custom field kind -> (schema type, custom type URI, items)
_CUSTOM_TYPES = {
    "string": ("string", "com.atlassian.jira.plugin.system.customfieldtypes:textfield", None),
    "number": ("number", "com.atlassian.jira.plugin.system.customfieldtypes:float", None),
    "date": ("date", "com.atlassian.jira.plugin.system.customfieldtypes:datepicker", None),
    "option": ("option", "com.atlassian.jira.plugin.system.customfieldtypes:select", None),
    "user": ("user", "com.atlassian.jira.plugin.system.customfieldtypes:userpicker", None),
    "array": ("array", "com.atlassian.jira.plugin.system.customfieldtypes:multiselect", "option"),
    "any": ("any", "com.atlassian.jira.plugin.system.customfieldtypes:textarea", None),
}
_SPRINT = ("array", "com.pyxis.greenhopper.jira:gh-sprint", "json")


def field_list(flavour: str) -> list[dict[str, Any]]:
    """Every field of a ``flavour`` site, system fields first."""
    fields: list[dict[str, Any]] = []
    for ident, (name, kind, items) in SYSTEM_FIELDS.items():
        schema: dict[str, Any] = {"type": kind, "system": ident}
        if items:
            schema["items"] = items
        fields.append(_details(ident, name, False, [ident], schema))
    for ident, (name, kind) in (CLOUD_CUSTOM if flavour == "cloud" else SERVER_CUSTOM).items():
        schema_type, uri, items = _SPRINT if name == "Sprint" else _CUSTOM_TYPES[kind]
        custom_id = int(ident.removeprefix("customfield_"))
        schema = {"type": schema_type, "custom": uri, "customId": custom_id}
        if items:
            schema["items"] = items
        fields.append(_details(ident, name, True, [f"cf[{custom_id}]", name], schema))
    return fields


def _details(
    ident: str, name: str, custom: bool, clauses: list[str], schema: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": ident,
        "key": ident,
        "name": name,
        "custom": custom,
        "orderable": True,
        "navigable": True,
        "searchable": True,
        "clauseNames": clauses,
        "schema": schema,
    }


def get_fields(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    return 200, field_list(emu.flavour)


def field_routes() -> list[Route]:
    """The field list route (both flavours, API 2 and 3)."""
    return [route("GET", r"/rest/api/{v}/field", get_fields)]
