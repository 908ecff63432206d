"""REST shapes of boards, sprints, versions and components (the same objects webhook events carry).

Sources (docs/jira-behaviour.md, "Catalog kinds"): the Cloud platform spec's ``Version`` and
``ProjectComponent`` schemas, the Jira Software REST docs for boards and sprints.
"""

from __future__ import annotations

from typing import Any

from jira_port_emulators.jira.kinds_model import Board, Component, Sprint, Version
from jira_port_emulators.jira.shapes import Shapes, iso_utc


def agile_base(shapes: Shapes) -> str:
    return f"{shapes.base}/rest/agile/1.0"


def board_json(shapes: Shapes, board: Board) -> dict[str, Any]:
    """``{id, self, name, type, location}`` (location: the board's first project)."""
    project = shapes.ds.projects.get(board.project_ids[0])
    body: dict[str, Any] = {
        "id": board.id,
        "self": f"{agile_base(shapes)}/board/{board.id}",
        "name": board.name,
        "type": board.type,
    }
    if project is not None:
        body["location"] = {
            "projectId": project.id,
            "displayName": f"{project.name} ({project.key})",
            "projectName": project.name,
            "projectKey": project.key,
            "projectTypeKey": project.type_key,
            "avatarURI": shapes.project_avatars(project)["48x48"],
            "name": f"{project.name} ({project.key})",
        }
    return body


def sprint_json(shapes: Shapes, sprint: Sprint) -> dict[str, Any]:
    """A sprint; dates only once set (a future sprint has none), ``completeDate`` once closed."""
    body: dict[str, Any] = {
        "id": sprint.id,
        "self": f"{agile_base(shapes)}/sprint/{sprint.id}",
        "state": sprint.state,
        "name": sprint.name,
    }
    if sprint.start:
        body["startDate"] = iso_utc(sprint.start)
        body["endDate"] = iso_utc(sprint.end)
        body["activatedDate"] = iso_utc(sprint.start)
    if sprint.complete:
        body["completeDate"] = iso_utc(sprint.complete)
    if shapes.cloud:
        body["createdDate"] = iso_utc(sprint.created)
    body["originBoardId"] = sprint.board_id
    body["goal"] = sprint.goal
    return body


def version_ref(shapes: Shapes, version: Version) -> dict[str, Any]:
    """A version as issue ``fixVersions`` carry it."""
    body: dict[str, Any] = {
        "self": f"{shapes.rest}/version/{version.id}",
        "id": str(version.id),
        "description": version.description,
        "name": version.name,
        "archived": version.archived,
        "released": version.released,
    }
    if version.release_date:
        body["releaseDate"] = version.release_date
    return body


def version_json(shapes: Shapes, version: Version, today: str) -> dict[str, Any]:
    """A version as ``/project/{key}/version(s)`` and ``jira:version_*`` events carry it."""
    body = version_ref(shapes, version)
    if version.start_date:
        body["startDate"] = version.start_date
    if version.release_date and not version.released:
        body["overdue"] = version.release_date < today
    if version.start_date:
        body["userStartDate"] = version.start_date
    if version.release_date:
        body["userReleaseDate"] = version.release_date
    body["projectId"] = version.project_id
    return body


def component_json(shapes: Shapes, component: Component) -> dict[str, Any]:
    """A component as ``/project/{key}/component(s)`` and ``component_*`` events carry it."""
    project = shapes.ds.projects.get(component.project_id)
    body: dict[str, Any] = {
        "self": f"{shapes.rest}/component/{component.id}",
        "id": str(component.id),
        "name": component.name,
        "description": component.description,
    }
    lead = shapes.user(component.lead) if component.lead >= 0 else None
    if lead is not None:
        body["lead"] = lead
        if shapes.cloud:
            body["leadAccountId"] = lead["accountId"]
        else:
            body["leadUserName"] = lead["name"]
    body["assigneeType"] = component.assignee_type
    body["realAssigneeType"] = component.assignee_type
    body["isAssigneeTypeValid"] = True
    body["project"] = project.key if project is not None else ""
    body["projectId"] = component.project_id
    if component.archived:
        body["archived"] = True
    return body
