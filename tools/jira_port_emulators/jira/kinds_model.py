"""State of the catalog kinds beyond projects and issues: boards, sprints, versions and components.

Generated from the dataset seed with their own random stream, so adding them changes no issue or user.
Ids follow Jira: boards and sprints are numbers, versions and components are numeric ids that REST
renders as strings.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # model holds a ``Kinds``: import it only for types here
    from jira_port_emulators.jira.model import Dataset

DAY_MS = 86_400_000
SPRINT_DAYS = 14


@dataclass(slots=True)
class Board:
    id: int
    name: str
    type: str  # "scrum" | "kanban" | "simple"
    project_ids: tuple[int, ...]  # the board filter's projects; the first is the board's location


@dataclass(slots=True)
class Sprint:
    id: int
    board_id: int  # originBoardId
    project_id: int  # the origin board's location when the sprint was created (whose issues it holds)
    name: str
    state: str  # "future" | "active" | "closed"
    start: int = 0  # epoch ms; 0 = not set (future sprints)
    end: int = 0
    complete: int = 0
    created: int = 0
    goal: str = ""


@dataclass(slots=True)
class Version:
    id: int
    project_id: int
    name: str
    description: str = ""
    archived: bool = False
    released: bool = False
    start_date: str | None = None  # yyyy-MM-dd
    release_date: str | None = None
    created: int = 0  # epoch ms (0: generated with the site)


@dataclass(slots=True)
class Component:
    id: int
    project_id: int
    name: str
    description: str = ""
    lead: int = -1  # user index, -1 = none
    assignee_type: str = "PROJECT_DEFAULT"
    archived: bool = False


@dataclass
class Kinds:
    """Boards, sprints, versions and components of one site (guarded by the emulator's lock)."""

    boards: dict[int, Board] = field(default_factory=dict)
    sprints: dict[int, Sprint] = field(default_factory=dict)
    versions: dict[int, Version] = field(default_factory=dict)
    components: dict[int, Component] = field(default_factory=dict)
    next_board_id: int = 1
    next_sprint_id: int = 1
    next_version_id: int = 10000
    next_component_id: int = 10000
    # deleted sprints and versions stay here so that what issues point at never shifts (see ``pick``)
    retired: dict[tuple[str, int], Sprint | Version] = field(default_factory=dict)
    merged_into: dict[int, int] = field(default_factory=dict)  # merged version id -> the version it went to
    _timelines: dict[tuple[str, int], tuple[list[int], list[Any]]] = field(default_factory=dict, repr=False)

    def add(self, kind: str, item: Board | Sprint | Version | Component) -> None:
        """Store a new ``item`` of ``kind`` (board, sprint, version, component) and move its id counter on."""
        getattr(self, f"{kind}s")[item.id] = item
        counter = f"next_{kind}_id"
        setattr(self, counter, max(getattr(self, counter), item.id + 1))
        self._timelines.clear()

    def remove(self, kind: str, item_id: int, *, merged_into: int | None = None) -> None:
        """Delete an item; sprints and versions are kept as retired (issues that pointed at them show none,
        or the version a merged one went to)."""
        item = getattr(self, f"{kind}s").pop(item_id)
        if kind in ("sprint", "version"):
            self.retired[(kind, item_id)] = item
        if merged_into is not None:
            self.merged_into[item_id] = merged_into
        self._timelines.clear()

    def pick(self, kind: str, project_id: int, at_ms: int, salt: int) -> Any:
        """The sprint or version an issue last changed at ``at_ms`` points at, or None. Chosen among the
        project's items (retired ones included) created by ``at_ms``, so items created or deleted later
        never move an issue to another one."""
        timeline = self._timelines.get((kind, project_id))
        if timeline is None:
            items = [i for i in getattr(self, f"{kind}s").values() if i.project_id == project_id]
            items += [i for (k, _), i in self.retired.items() if k == kind and i.project_id == project_id]
            items.sort(key=lambda i: (i.created, i.id))
            timeline = self._timelines[(kind, project_id)] = ([i.created for i in items], items)
        count = bisect.bisect_right(timeline[0], at_ms)
        if not count:
            return None
        chosen = timeline[1][salt % count]
        if kind == "version":
            chosen = self.versions.get(self.merged_into.get(chosen.id, chosen.id))
        return chosen if chosen is not None and chosen.id in getattr(self, f"{kind}s") else None

    def board_sprints(self, board_id: int) -> list[Sprint]:
        """A board's sprints in Jira's order (closed, active, future, each by id): its own, and those of the
        projects its filter adds beyond its location (a cross-project board shows their sprints too)."""
        rank = {"closed": 0, "active": 1, "future": 2}
        board = self.boards[board_id]
        extra = set(board.project_ids[1:])
        found = [s for s in self.sprints.values() if s.board_id == board_id or s.project_id in extra]
        return sorted(found, key=lambda s: (rank[s.state], s.id))

    def project_versions(self, project_id: int) -> list[Version]:
        return sorted((v for v in self.versions.values() if v.project_id == project_id), key=lambda v: v.id)

    def project_components(self, project_id: int) -> list[Component]:
        return sorted(
            (c for c in self.components.values() if c.project_id == project_id), key=lambda c: c.name.lower()
        )


def _date(ms: int) -> str:
    from jira_port_emulators.jira.shapes import format_date

    return format_date(ms, 0)


def generate_kinds(
    ds: Dataset, *, boards: int | None, sprints_per_board: int, versions_per_project: int, anchor_ms: int
) -> None:
    """Add to ``ds.kinds``: ``boards`` boards (default: one scrum board per software project and
    a kanban board for the first project), ``sprints_per_board`` sprints on each scrum board (closed, one
    active, one future) and ``versions_per_project`` versions (older ones released)."""
    kinds = ds.kinds
    projects = sorted(ds.projects.values(), key=lambda p: p.id)
    plan: list[tuple[str, tuple[int, ...]]] = []
    if boards is None:
        plan = [("scrum", (p.id,)) for p in projects if p.type_key == "software"]
        plan.append(("kanban", (projects[0].id,)))
    else:
        for n in range(boards):
            first = projects[n % len(projects)].id
            extra = (projects[(n + 1) % len(projects)].id,) if n % 5 == 4 and len(projects) > 1 else ()
            plan.append(("kanban" if n % 10 == 9 else "scrum", (first, *extra)))
    for kind, project_ids in plan:
        board = Board(kinds.next_board_id, "", kind, project_ids)
        board.name = f"{ds.projects[project_ids[0]].key} board {board.id}"
        kinds.add("board", board)
        if kind == "scrum":
            _sprints(kinds, board, sprints_per_board, anchor_ms)
    for project in projects:
        for n in range(versions_per_project):
            released = n < versions_per_project - 1
            release_ms = anchor_ms - (versions_per_project - 1 - n) * 30 * DAY_MS
            version = Version(
                kinds.next_version_id,
                project.id,
                f"{1 + n // 4}.{n % 4}.0",
                f"Release {n + 1} of {project.name}.",
                archived=released and n < versions_per_project - 4,
                released=released,
                start_date=_date(release_ms - 30 * DAY_MS),
                release_date=_date(release_ms),
            )
            kinds.add("version", version)


def _sprints(kinds: Kinds, board: Board, count: int, anchor_ms: int) -> None:
    period = SPRINT_DAYS * DAY_MS
    first_start = anchor_ms - anchor_ms % period - (count - 2) * period
    for n in range(count):
        start = first_start + n * period
        state = "closed" if n < count - 2 else "active" if n == count - 2 else "future"
        sprint = Sprint(
            kinds.next_sprint_id, board.id, board.project_ids[0], f"{board.name} sprint {n + 1}", state
        )
        sprint.created = start - 3 * DAY_MS
        if state != "future":
            sprint.start, sprint.end = start, start + period
        if state == "closed":
            sprint.complete = start + period
            sprint.goal = f"Ship increment {n + 1}"
        kinds.add("sprint", sprint)
