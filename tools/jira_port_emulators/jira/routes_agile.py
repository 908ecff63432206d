"""Jira Software's agile API (``/rest/agile/1.0``): boards, a board's projects, its sprints.

Served only when the site has Jira Software (``JiraEmulator(jira_software=False)``: every path answers 404
like any unknown URI). Sources: docs/jira-behaviour.md, "Catalog kinds".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jira_port_emulators.jira.kinds_model import Board
from jira_port_emulators.jira.kinds_shapes import board_json, sprint_json
from jira_port_emulators.jira.routes_site import offsets, project_json
from jira_port_emulators.jira.server import ApiError, Request, Route, route

if TYPE_CHECKING:
    from jira_port_emulators.jira.emulator import JiraEmulator

AGILE_PAGE = 50
SPRINT_STATES = ("future", "active", "closed")


def _agile_page(start: int, size: int, found: int, values: list[Any], *, total: bool) -> dict[str, Any]:
    """An agile page: ``maxResults``, ``startAt``, ``total`` (not on sprints), ``isLast``, ``values``."""
    body: dict[str, Any] = {"maxResults": size, "startAt": start}
    if total:
        body["total"] = found
    body.update(isLast=start + len(values) >= found, values=values)
    return body


def _visible(emu: JiraEmulator, req: Request, board: Board) -> bool:
    account = req.account
    projects = [emu.ds.projects.get(p) for p in board.project_ids]
    return account is None or any(p is not None and account.can_browse(p.key) for p in projects)


def _board(emu: JiraEmulator, req: Request) -> Board:
    board = emu.ds.kinds.boards.get(int(req.match["id"]))
    if board is None or not _visible(emu, req, board):
        raise ApiError(404, "Board does not exist or you do not have permission to see it.")
    return board


def boards(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    """``GET /board``: boards the caller can see, by id; filters ``type``, ``name``, ``projectKeyOrId``."""
    start, size = offsets(req, AGILE_PAGE, AGILE_PAGE)
    types = set(req.args("type"))
    name = (req.arg("name") or "").lower()
    project_ref = (req.arg("projectKeyOrId") or "").upper()
    with emu.lock:
        shapes = emu.renderer().shapes
        found = [
            b
            for b in sorted(emu.ds.kinds.boards.values(), key=lambda b: b.id)
            if _visible(emu, req, b)
            and (not types or b.type in types)
            and name in b.name.lower()
            and (not project_ref or any(_is(emu, p, project_ref) for p in b.project_ids))
        ]
        values = [board_json(shapes, b) for b in found[start : start + size]]
    return 200, _agile_page(start, size, len(found), values, total=True)


def _is(emu: JiraEmulator, project_id: int, ref: str) -> bool:
    project = emu.ds.projects.get(project_id)
    return project is not None and ref in (project.key, str(project.id))


def board_get(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    with emu.lock:
        return 200, board_json(emu.renderer().shapes, _board(emu, req))


def board_projects(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    """``GET /board/{id}/project``: the projects of the board's filter, paged."""
    start, size = offsets(req, AGILE_PAGE, AGILE_PAGE)
    with emu.lock:
        board = _board(emu, req)
        found = [emu.ds.projects[p] for p in board.project_ids if p in emu.ds.projects]
        found = [p for p in found if not p.trashed]
        values = [project_json(emu, p, 2, set()) for p in found[start : start + size]]
    return 200, _agile_page(start, size, len(found), values, total=True)


def board_sprints(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    """``GET /board/{id}/sprint?state=``: a scrum board's sprints (400 for a board without sprints)."""
    start, size = offsets(req, AGILE_PAGE, AGILE_PAGE)
    states = req.args("state") or list(SPRINT_STATES)
    bad = [s for s in states if s not in SPRINT_STATES]
    if bad:
        raise ApiError(400, f"The sprint state '{bad[0]}' is not valid (future, active, closed).")
    with emu.lock:
        board = _board(emu, req)
        if board.type != "scrum":
            raise ApiError(400, "The board does not support sprints")
        shapes = emu.renderer().shapes
        found = [s for s in emu.ds.kinds.board_sprints(board.id) if s.state in states]
        values = [sprint_json(shapes, s) for s in found[start : start + size]]
    cut = emu.faults.short_page(len(values))  # sprints the caller may not see are dropped after paging
    if cut is not None:
        return 200, {
            **_agile_page(start, size, len(found), values[: max(1, cut)], total=False),
            "isLast": False,
        }
    return 200, _agile_page(start, size, len(found), values, total=False)


def sprint_get(emu: JiraEmulator, req: Request) -> tuple[int, Any]:
    with emu.lock:
        sprint = emu.ds.kinds.sprints.get(int(req.match["id"]))
        if sprint is None:
            raise ApiError(404, "Sprint does not exist or you do not have permission to see it.")
        return 200, sprint_json(emu.renderer().shapes, sprint)


def agile_routes(emu: JiraEmulator) -> list[Route]:
    if not emu.jira_software:
        return []
    base = "/rest/agile/1\\.0"
    return [
        route("GET", base + "/board", boards),
        route("GET", base + r"/board/(?P<id>\d+)", board_get),
        route("GET", base + r"/board/(?P<id>\d+)/project", board_projects),
        route("GET", base + r"/board/(?P<id>\d+)/sprint", board_sprints),
        route("GET", base + r"/sprint/(?P<id>\d+)", sprint_get),
    ]
