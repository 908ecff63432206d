"""The emulated site's state: compact issues, projects, users and the ``Dataset`` that indexes them.

An issue is ~20 small slots (ids, indexes, timestamps, shared label tuples); summaries, descriptions and
custom-field values are derived from ``(seed, issue id)`` when rendered unless a mutation overrode them.
"""

from __future__ import annotations

import bisect
import dataclasses
from dataclasses import dataclass, field
from typing import Any

from jira_port_emulators.jira.catalog import Flavour
from jira_port_emulators.jira.kinds_model import DAY_MS, Kinds

__all__ = ["DAY_MS", "Dataset", "Issue", "Kinds", "Move", "Project", "User", "mix"]
_MASK = (1 << 64) - 1


def mix(*values: int) -> int:
    """A deterministic 64-bit hash of integers (splitmix64 chain): stable across runs and platforms."""
    state = 0x9E3779B97F4A7C15
    for value in values:
        state = (state + (value & _MASK) + 0x9E3779B97F4A7C15) & _MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        state = z ^ (z >> 31)
    return state


@dataclass(frozen=True, slots=True)
class User:
    index: int
    account_id: str
    name: str
    key: str
    display_name: str
    email: str
    time_zone: str
    account_type: str = "atlassian"
    active: bool = True
    deleted: bool = False  # DC: gone from user search; Cloud keeps deleted accounts (inactive) listed


@dataclass(slots=True)
class Project:
    id: int
    key: str
    name: str
    lead: int
    type_key: str
    description: str
    components: tuple[tuple[int, str], ...]
    trashed: bool = False
    trashed_at: int = 0
    next_number: int = 1


@dataclass(slots=True)
class Issue:
    """Compact issue state. Treated as immutable: updates swap in a new instance."""

    id: int
    project_id: int
    number: int
    type_id: str
    status_id: str
    priority_id: str
    assignee: int  # user index, -1 = unassigned
    reporter: int
    created: int  # epoch ms
    updated: int
    status_changed: int
    parent_id: int = 0  # sub-task -> parent issue
    epic_id: int = 0  # standard issue -> epic (Cloud renders it as ``parent``)
    labels: tuple[str, ...] = ()
    components: tuple[int, ...] = ()
    overrides: dict[str, Any] | None = None  # summary, description, duedate, customfield_* set by mutations


@dataclass(frozen=True, slots=True)
class Move:
    """One move of an issue (what ``expand=changelog`` shows as a history)."""

    at_ms: int
    old_key: str
    new_key: str
    from_project: int
    to_project: int


@dataclass
class Dataset:
    """All state of the emulated site. Not thread-safe by itself: ``JiraEmulator`` holds the lock."""

    flavour: Flavour
    seed: int
    utc_offset_minutes: int
    users: list[User]
    projects: dict[int, Project] = field(default_factory=dict)
    issues: dict[int, Issue] = field(default_factory=dict)
    order: list[int] = field(default_factory=list)  # every issue id, ascending
    by_project: dict[int, list[int]] = field(default_factory=dict)  # issue ids by ascending key number
    moved_keys: dict[str, int] = field(default_factory=dict)  # old key of a moved issue -> its id
    moves: dict[int, list[Move]] = field(default_factory=dict)  # issue id -> its moves, oldest first
    subtasks: dict[int, list[int]] = field(default_factory=dict)
    next_issue_id: int = 10000
    next_project_id: int = 10000
    version: int = 0  # bumped by every mutation
    kinds: Kinds = field(default_factory=Kinds)  # boards, sprints, versions, components
    # search's per-(version, project, residual) matching key numbers (see ``search._matching``)
    match_cache: dict[tuple[object, ...], list[int]] = field(default_factory=dict, repr=False, compare=False)

    # -- lookups --------------------------------------------------------------------------------

    def project_by_key(self, key: str) -> Project | None:
        wanted = key.upper()
        return next((p for p in self.projects.values() if p.key == wanted), None)

    def issue_key(self, issue: Issue) -> str:
        return f"{self.projects[issue.project_id].key}-{issue.number}"

    def find_issue(self, id_or_key: str | int) -> Issue | None:
        """By numeric id or by key (``PROJ-12``)."""
        text = str(id_or_key).strip()
        if text.isdigit():
            return self.issues.get(int(text))
        project_key, _, number = text.rpartition("-")
        project = self.project_by_key(project_key) if project_key else None
        if project is not None and number.isdigit():
            ids = self.by_project.get(project.id, [])
            pos = self.number_position(ids, int(number))
            if pos < len(ids) and self.issues[ids[pos]].number == int(number):
                return self.issues[ids[pos]]
        moved = self.moved_keys.get(text.upper())  # Jira still resolves the old key of a moved issue
        return self.issues.get(moved) if moved is not None else None

    def number_position(self, ids: list[int], number: int) -> int:
        """Where key ``number`` is (or would be) in a ``by_project`` list."""
        return bisect.bisect_left(ids, number, key=lambda i: self.issues[i].number)

    # -- state changes (callers emit the webhook events) ---------------------------------------

    def add_issue(self, issue: Issue) -> None:
        self.issues[issue.id] = issue
        _insort(self.order, issue.id)
        self.by_project.setdefault(issue.project_id, []).append(issue.id)  # a new key number is the largest
        if issue.parent_id:
            _insort(self.subtasks.setdefault(issue.parent_id, []), issue.id)
        self.version += 1

    def replace_issue(self, issue: Issue) -> None:
        self.issues[issue.id] = issue
        self.version += 1

    def remove_issue(self, issue_id: int) -> Issue:
        issue = self.issues[issue_id]
        self._unlist(issue)
        del self.issues[issue_id]
        _remove(self.order, issue_id)
        self._forget_aliases({issue_id})
        if issue.parent_id:
            _remove(self.subtasks.get(issue.parent_id, []), issue_id)
        self.subtasks.pop(issue_id, None)
        self.version += 1
        return issue

    def move_issue(self, issue: Issue, project: Project, at_ms: int) -> Issue:
        """Move ``issue`` to ``project``: same id, the project's next key number, old key kept as alias."""
        old_key = self.issue_key(issue)
        self._unlist(issue)
        moved = dataclasses.replace(issue, project_id=project.id, number=project.next_number, updated=at_ms)
        project.next_number += 1
        self.issues[issue.id] = moved
        self.by_project.setdefault(project.id, []).append(issue.id)
        self.moved_keys[old_key] = issue.id
        move = Move(at_ms, old_key, self.issue_key(moved), issue.project_id, project.id)
        self.moves.setdefault(issue.id, []).append(move)
        self.version += 1
        return moved

    def _forget_aliases(self, issue_ids: set[int]) -> None:
        for issue_id in issue_ids:
            self.moves.pop(issue_id, None)
        for old_key in [k for k, v in self.moved_keys.items() if v in issue_ids]:
            del self.moved_keys[old_key]

    def _unlist(self, issue: Issue) -> None:
        ids = self.by_project.get(issue.project_id, [])
        pos = self.number_position(ids, issue.number)
        if pos < len(ids) and ids[pos] == issue.id:
            del ids[pos]

    def remove_project(self, project_id: int) -> Project:
        project = self.projects.pop(project_id)
        kinds = self.kinds  # a project's versions and components go with it
        for version in kinds.project_versions(project_id):
            kinds.remove("version", version.id)
        for component in kinds.project_components(project_id):
            kinds.remove("component", component.id)
        self._forget_aliases(set(self.by_project.get(project_id, [])))
        for issue_id in list(self.by_project.pop(project_id, [])):
            issue = self.issues.pop(issue_id)
            _remove(self.order, issue_id)
            self.subtasks.pop(issue_id, None)
            if issue.parent_id:
                _remove(self.subtasks.get(issue.parent_id, []), issue_id)
        self.version += 1
        return project


def _insort(ids: list[int], value: int) -> None:
    if not ids or ids[-1] < value:
        ids.append(value)  # the common case: new ids are the largest
    else:
        bisect.insort(ids, value)


def _remove(ids: list[int], value: int) -> None:
    pos = bisect.bisect_left(ids, value)
    if pos < len(ids) and ids[pos] == value:
        del ids[pos]
