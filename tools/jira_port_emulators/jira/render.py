"""Issue bodies in Jira's REST shape (v2: wiki-string descriptions; v3: ADF), with field selection."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from jira_port_emulators.jira import catalog
from jira_port_emulators.jira.custom_fields import CLOUD_CUSTOM, SERVER_CUSTOM, custom_fields
from jira_port_emulators.jira.kinds_shapes import version_ref
from jira_port_emulators.jira.model import DAY_MS, Issue, mix
from jira_port_emulators.jira.shapes import Shapes, format_date
from jira_port_emulators.jira.texts import description_of, summary_of, to_adf

ISSUE_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"
NON_NAVIGABLE = frozenset({"comment", "worklog", "timetracking", "issuerestriction"})
CLOUD_ONLY = frozenset({"statuscategorychangedate", "security", "issuerestriction", "statusCategory"})
SYSTEM_FIELDS = (
    "statuscategorychangedate", "issuetype", "parent", "timespent", "project", "fixVersions",
    "aggregatetimespent", "resolution", "resolutiondate", "workratio", "lastViewed", "watches", "created",
    "priority", "labels", "aggregatetimeoriginalestimate", "timeestimate", "versions", "issuelinks",
    "assignee", "updated", "status", "components", "timeoriginalestimate", "description", "timetracking",
    "security", "attachment", "aggregatetimeestimate", "summary", "creator", "subtasks", "reporter",
    "aggregateprogress", "environment", "duedate", "progress", "votes", "comment", "worklog",
    "issuerestriction", "statusCategory",
)  # fmt: skip


def field_names(flavour: str) -> tuple[str, ...]:
    """Every field id of an issue (the order ``*all`` renders them in)."""
    system = tuple(f for f in SYSTEM_FIELDS if flavour == "cloud" or f not in CLOUD_ONLY)
    return system + tuple(CLOUD_CUSTOM if flavour == "cloud" else SERVER_CUSTOM)


def field_meta(flavour: str) -> dict[str, tuple[str, str]]:
    """Field id -> (name, schema type) for ``expand=names,schema``."""
    custom = CLOUD_CUSTOM if flavour == "cloud" else SERVER_CUSTOM
    system = {f: (f[0].upper() + f[1:], "any") for f in field_names(flavour) if f not in custom}
    return {**system, **custom}


@dataclass(frozen=True, slots=True)
class FieldSelection:
    """Which fields to render; ``minimal`` = the caller asked only for ``id``/``key``."""

    names: tuple[str, ...]
    minimal: bool
    with_key: bool = False


def select_fields(spec: Iterable[str] | None, flavour: str, default: str) -> FieldSelection:
    """Jira's ``fields`` semantics: ``*all``, ``*navigable``, names, ``-name`` exclusions; unknown ids
    are ignored. ``default`` (``id``, ``*navigable`` or ``*all``) applies when ``spec`` is empty."""
    tokens = [t.strip() for item in (spec or []) for t in str(item).split(",") if t.strip()]
    if not [t for t in tokens if not t.startswith("-")]:
        tokens = [default, *tokens]
    everything = field_names(flavour)
    base: tuple[str, ...] = ()
    explicit: list[str] = []
    excluded = {t[1:] for t in tokens if t.startswith("-")}
    for item in tokens:
        if item == "*all":
            base = everything
        elif item == "*navigable" and not base:
            base = tuple(f for f in everything if f not in NON_NAVIGABLE)
        elif not item.startswith(("-", "*")):
            explicit.append(item)
    known = set(everything)
    chosen = [f for f in base if f not in excluded]
    chosen += [f for f in explicit if f in known and f not in chosen and f not in excluded]
    minimal = not chosen and all(t in ("id", "key") for t in explicit) and bool(explicit)
    return FieldSelection(tuple(chosen), minimal, "key" in explicit)


class IssueRenderer:
    """Renders issues of one dataset for one base URL, flavour and API version."""

    def __init__(self, shapes: Shapes, api: int = 2) -> None:
        self.shapes = shapes
        self.ds = shapes.ds
        self.api = api
        self.cloud = shapes.cloud
        s = shapes
        self._fields: dict[str, Callable[[Issue], Any]] = {
            "statuscategorychangedate": lambda i: s.ts(i.status_changed),
            "issuetype": lambda i: s.issuetype(i.type_id),
            "parent": self._parent,
            "project": lambda i: s.project_ref(i.project_id),
            "resolution": lambda i: s.resolution() if self._done(i) else None,
            "resolutiondate": lambda i: s.ts(i.status_changed) if self._done(i) else None,
            "workratio": lambda i: -1,
            "watches": lambda i: {
                "self": f"{s.rest}/issue/{self.ds.issue_key(i)}/watchers",
                "watchCount": 1 + mix(i.id, 3) % 3,
                "isWatching": False,
            },
            "created": lambda i: s.ts(i.created),
            "updated": lambda i: s.ts(i.updated),
            "priority": lambda i: s.priority(i.priority_id),
            "labels": lambda i: list(i.labels),
            "assignee": lambda i: s.user(i.assignee),
            "reporter": lambda i: s.user(i.reporter),
            "creator": lambda i: s.user(i.reporter),
            "status": lambda i: s.status(i.status_id),
            "statusCategory": lambda i: s.status_category(catalog.STATUS_BY_ID[i.status_id].category),
            "components": self._components,
            "description": self._description,
            "summary": lambda i: summary_of(s, i),
            "subtasks": lambda i: [self._ref(self.ds.issues[c]) for c in self.ds.subtasks.get(i.id, ())],
            "votes": lambda i: {"self": f"{s.rest}/issue/{self.ds.issue_key(i)}/votes", "votes": 0,
                                "hasVoted": False},
            "comment": lambda i: {"comments": [], "self": f"{s.rest}/issue/{i.id}/comment", "maxResults": 0,
                                  "total": 0, "startAt": 0},
            "worklog": lambda i: {"startAt": 0, "maxResults": 20, "total": 0, "worklogs": []},
            "timetracking": lambda i: {},
            "issuerestriction": lambda i: {"issuerestrictions": {}, "shouldDisplay": True},
            "aggregateprogress": lambda i: {"progress": 0, "total": 0},
            "progress": lambda i: {"progress": 0, "total": 0},
            "duedate": self._duedate,
        }  # fmt: skip
        self._fields["fixVersions"] = self._fix_versions
        for name in ("versions", "issuelinks", "attachment"):
            self._fields[name] = lambda i: []
        self._fields.update(custom_fields(self))
        self._names = field_names(shapes.flavour)
        self._plans: dict[tuple[str, ...] | None, tuple[tuple[str, Callable[[Issue], Any] | None], ...]] = {}

    def _done(self, issue: Issue) -> bool:
        return catalog.STATUS_BY_ID[issue.status_id].category is catalog.DONE

    def _description(self, issue: Issue) -> Any:
        text = description_of(self.shapes, issue)
        return to_adf(text) if self.api == 3 else text

    def _duedate(self, issue: Issue) -> str | None:
        if issue.overrides and "duedate" in issue.overrides:
            return issue.overrides["duedate"]  # type: ignore[no-any-return]
        h = mix(self.ds.seed, issue.id, 4)
        return (
            format_date(issue.created + (h % 60) * DAY_MS, self.ds.utc_offset_minutes) if h % 4 == 0 else None
        )

    def _components(self, issue: Issue) -> list[dict[str, Any]]:
        known = self.ds.kinds.components
        return [
            {"self": f"{self.shapes.rest}/component/{c}", "id": str(c), "name": known[c].name}
            for c in issue.components
            if c in known  # a deleted component leaves its issues
        ]

    def _fix_versions(self, issue: Issue) -> list[dict[str, Any]]:
        """Seed-derived: about a third of the issues are in one of their project's versions."""
        h = mix(self.ds.seed, issue.id, 6)
        version = (
            self.ds.kinds.pick("version", issue.project_id, issue.updated, h // 3) if h % 3 == 0 else None
        )
        return [version_ref(self.shapes, version)] if version is not None else []

    def _ref(self, issue: Issue) -> dict[str, Any]:
        s = self.shapes
        return {
            "id": str(issue.id),
            "key": self.ds.issue_key(issue),
            "self": f"{s.rest}/issue/{issue.id}",
            "fields": {
                "summary": summary_of(s, issue),
                "status": s.status(issue.status_id),
                "priority": s.priority(issue.priority_id),
                "issuetype": s.issuetype(issue.type_id),
            },
        }

    def _parent(self, issue: Issue) -> dict[str, Any] | None:
        target = issue.parent_id or (issue.epic_id if self.cloud else 0)
        parent = self.ds.issues.get(target) if target else None
        return self._ref(parent) if parent is not None else None

    def _plan(self, names: Iterable[str] | None) -> tuple[tuple[str, Callable[[Issue], Any] | None], ...]:
        key = None if names is None else tuple(names)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = tuple(
                (n, self._fields.get(n)) for n in (self._names if key is None else key)
            )
        return plan

    def fields(self, issue: Issue, names: Iterable[str] | None = None) -> dict[str, Any]:
        """The ``fields`` object (all fields when ``names`` is None). ``parent`` is omitted when unset."""
        out: dict[str, Any] = {}
        overrides = issue.overrides
        for name, make in self._plan(names):
            if overrides and name in overrides and name.startswith("customfield_"):
                out[name] = overrides[name]
            elif make is None:
                out[name] = None  # the zero-valued system fields (timespent, security, ...)
            else:
                value = make(issue)
                if value is not None or name != "parent":
                    out[name] = value
        return out

    def issue(self, issue: Issue, selection: FieldSelection | None = None) -> dict[str, Any]:
        """The issue bean: ``{expand, id, self, key, fields}`` (just ``{id}`` for a minimal selection)."""
        if selection is not None and selection.minimal:
            if selection.with_key:
                return {"id": str(issue.id), "key": self.ds.issue_key(issue)}
            return {"id": str(issue.id)}
        names = None if selection is None else selection.names
        return {
            "expand": ISSUE_EXPAND,
            "id": str(issue.id),
            "self": f"{self.shapes.rest}/issue/{issue.id}",
            "key": self.ds.issue_key(issue),
            "fields": self.fields(issue, names),
        }


def move_histories(renderer: IssueRenderer, issue: Issue) -> dict[str, Any]:
    """``changelog`` of ``expand=changelog``: the emulator records moves only (``Key`` and ``project``
    items, as Jira writes them), so that is what the histories hold."""
    ds = renderer.ds
    histories = []
    for n, move in enumerate(ds.moves.get(issue.id, [])):
        old = ds.projects.get(move.from_project)
        new = ds.projects.get(move.to_project)
        items = [
            {"field": "project", "fieldtype": "jira", "from": str(move.from_project),
             "fromString": old.name if old else None, "to": str(move.to_project),
             "toString": new.name if new else None},
            {"field": "Key", "fieldtype": "jira", "from": None, "fromString": move.old_key, "to": None,
             "toString": move.new_key},
        ]  # fmt: skip
        created = renderer.shapes.ts(move.at_ms)
        histories.append({"id": str(20000 + issue.id * 10 + n), "created": created, "items": items})
    return {"startAt": 0, "maxResults": len(histories), "total": len(histories), "histories": histories}
