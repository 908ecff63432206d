"""Deterministic synthetic Jira data (same arguments, same data), generated in about a second for 100k.

Bodies are rendered lazily from the compact state in ``model`` (see ``render``), so 100,000 issues fit in a
few tens of MB.
"""

from __future__ import annotations

import bisect
import random
import uuid
from datetime import UTC, datetime

from jira_port_emulators.jira import catalog
from jira_port_emulators.jira.catalog import Flavour
from jira_port_emulators.jira.kinds_model import Component, generate_kinds
from jira_port_emulators.jira.model import DAY_MS, Dataset, Issue, Project, User, mix

DEFAULT_ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)

__all__ = [
    "DAY_MS",
    "DEFAULT_ANCHOR",
    "Dataset",
    "Issue",
    "Project",
    "User",
    "generate_dataset",
    "mix",
    "new_project",
]


def make_users(count: int, rng: random.Random) -> list[User]:
    """``count`` users with Cloud account ids and Server usernames/keys."""
    users = []
    for i in range(count):
        first = catalog.FIRST_NAMES[i % len(catalog.FIRST_NAMES)]
        last = catalog.LAST_NAMES[(i // len(catalog.FIRST_NAMES) + i) % len(catalog.LAST_NAMES)]
        suffix = "" if i < len(catalog.FIRST_NAMES) * len(catalog.LAST_NAMES) else str(i)
        name = f"{first}.{last}{suffix}".lower()
        account_id = "712020:" + str(uuid.UUID(int=rng.getrandbits(128), version=4))
        users.append(
            User(
                index=i,
                account_id=account_id,
                name=name,
                key=f"JIRAUSER{10000 + i}",
                display_name=f"{first} {last}{suffix}",
                email=f"{name}@example.com",
                time_zone=catalog.TIME_ZONES[i % len(catalog.TIME_ZONES)],
                account_type="app" if i == count - 1 and count > 3 else "atlassian",
            )
        )
    return users


def project_key_for(name: str, taken: set[str]) -> str:
    """A Jira-style key (upper-case letters) unique among ``taken``."""
    base = "".join(ch for ch in name.upper() if ch.isalpha())[:4] or "PRJ"
    key, n = base, 2
    while key in taken:
        key = f"{base[:3]}{chr(ord('A') + (n % 26))}{n // 26 or ''}"
        n += 1
    return key


def new_project(ds: Dataset, name: str, key: str | None, lead: int, rng: random.Random) -> Project:
    """A project with 2-4 components; not yet added to ``ds``."""
    taken = {p.key for p in ds.projects.values()}
    chosen = (key or project_key_for(name, taken)).upper()
    if chosen in taken:
        raise ValueError(f"project key {chosen} already exists")
    pid = ds.next_project_id
    ds.next_project_id += 1
    names = rng.sample(catalog.COMPONENT_NAMES, rng.randint(2, 4))
    components = tuple((pid * 10 + i, n) for i, n in enumerate(names))
    type_key = "business" if rng.random() < 0.2 else "software"
    return Project(pid, chosen, name, lead, type_key, f"The {name} team's work.", components)


def generate_dataset(
    projects: int = 5,
    issues: int = 200,
    *,
    flavour: Flavour = "cloud",
    seed: int = 1,
    users: int | None = None,
    anchor: datetime = DEFAULT_ANCHOR,
    span_days: int = 365,
    utc_offset_minutes: int | None = None,
    boards: int | None = None,
    sprints_per_board: int = 6,
    versions_per_project: int = 4,
) -> Dataset:
    """``issues`` issues over ``projects`` projects, created over ``span_days`` before ``anchor``.

    Same arguments, same data. Epics (~5 %), sub-tasks (~15 %, ``parent``/``subtasks`` consistent) and
    standard issues (60 % of them in an epic) with statuses, priorities, labels and components; boards,
    sprints and versions as ``kinds_model.generate_kinds`` makes them (``boards`` None: one scrum board
    per software project plus a kanban board).
    """
    if flavour not in ("cloud", "server"):
        raise ValueError("flavour must be 'cloud' or 'server'")
    if projects < 1 or issues < 0:
        raise ValueError("need at least one project and a non-negative issue count")
    rng = random.Random(seed)
    offset = utc_offset_minutes if utc_offset_minutes is not None else (-480 if flavour == "cloud" else 0)
    ds = Dataset(flavour, seed, offset, make_users(users or max(5, min(200, issues // 40)), rng))
    for i in range(projects):
        base = catalog.PROJECT_NAMES[i % len(catalog.PROJECT_NAMES)]
        name = base if i < len(catalog.PROJECT_NAMES) else f"{base} {i // len(catalog.PROJECT_NAMES) + 1}"
        project = new_project(ds, name, None, rng.randrange(len(ds.users)), rng)
        ds.projects[project.id] = project
        ds.by_project[project.id] = []
        add_project_components(ds, project)
    anchor_ms = int(anchor.timestamp() * 1000)
    generate_kinds(
        ds,
        boards=boards,
        sprints_per_board=sprints_per_board,
        versions_per_project=versions_per_project,
        anchor_ms=anchor_ms,
    )
    _generate_issues(ds, issues, rng, anchor_ms, span_days)
    return ds


def add_project_components(ds: Dataset, project: Project) -> None:
    """Register a new project's generated components as components of the site."""
    for component_id, name in project.components:
        lead = project.lead if mix(ds.seed, component_id) % 2 else -1
        description = f"The {name} of {project.name}."
        ds.kinds.add("component", Component(component_id, project.id, name, description, lead))


def _cumulative(weights: tuple[float, ...] | list[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _pick(cum: list[float], rng: random.Random) -> int:
    return bisect.bisect_right(cum, rng.random() * cum[-1])


def _generate_issues(ds: Dataset, count: int, rng: random.Random, anchor_ms: int, span_days: int) -> None:
    project_list = list(ds.projects.values())
    project_cum = _cumulative([rng.uniform(0.5, 2.0) for _ in project_list])
    status_cum = _cumulative(catalog.STATUS_WEIGHTS)
    priority_cum = _cumulative(catalog.PRIORITY_WEIGHTS)
    type_cum = _cumulative(catalog.STANDARD_WEIGHTS)
    standard: dict[int, list[int]] = {p.id: [] for p in project_list}
    epics: dict[int, list[int]] = {p.id: [] for p in project_list}
    label_pool: dict[tuple[str, ...], tuple[str, ...]] = {}
    n_users = len(ds.users)
    start = anchor_ms - span_days * DAY_MS
    step = max(1, (anchor_ms - start) // max(1, count))
    for i in range(count):
        project = project_list[_pick(project_cum, rng)]
        pid = project.id
        issue_id = ds.next_issue_id
        ds.next_issue_id += 1
        created = start + i * step + rng.randrange(step)
        updated = min(anchor_ms, created + rng.randrange(30 * DAY_MS))
        roll = rng.random()
        parent_id = epic_id = 0
        if roll < 0.05:
            type_id = catalog.EPIC.id
            epics[pid].append(issue_id)
        elif roll < 0.20 and standard[pid]:
            type_id = catalog.SUBTASK.id
            parent_id = rng.choice(standard[pid])
        else:
            type_id = catalog.STANDARD_TYPES[_pick(type_cum, rng)].id
            standard[pid].append(issue_id)
            if epics[pid] and rng.random() < 0.6:
                epic_id = rng.choice(epics[pid])
        labels = tuple(sorted(rng.sample(catalog.LABELS, rng.choice((0, 0, 1, 1, 2, 3)))))
        labels = label_pool.setdefault(labels, labels)
        components = tuple(c[0] for c in rng.sample(project.components, rng.choice((0, 1, 1, 2))))
        issue = Issue(
            id=issue_id,
            project_id=pid,
            number=project.next_number,
            type_id=type_id,
            status_id=catalog.STATUSES[_pick(status_cum, rng)].id,
            priority_id=catalog.PRIORITIES[_pick(priority_cum, rng)].id,
            assignee=-1 if rng.random() < 0.2 else rng.randrange(n_users),
            reporter=rng.randrange(n_users),
            created=created,
            updated=updated,
            status_changed=created + int((updated - created) * rng.random()),
            parent_id=parent_id,
            epic_id=epic_id,
            labels=labels,
            components=components,
        )
        project.next_number += 1
        ds.issues[issue_id] = issue
        ds.order.append(issue_id)
        ds.by_project[pid].append(issue_id)
        if parent_id:
            ds.subtasks.setdefault(parent_id, []).append(issue_id)
