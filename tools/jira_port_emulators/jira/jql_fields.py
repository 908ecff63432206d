"""Per-field JQL clause builders (project, key/id, dates, status, type, users, text...) used by
``jql_eval``; values are resolved against the dataset and unknown ones raise ``JQLError``."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jira_port_emulators.jira import catalog
from jira_port_emulators.jira.jql_parse import Clause, JQLError, Value
from jira_port_emulators.jira.model import Dataset, Issue
from jira_port_emulators.jira.shapes import Shapes
from jira_port_emulators.jira.texts import description_of, summary_of

Predicate = Callable[[Issue], bool]
_KEY = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)-(\d+)$")
_RELATIVE = re.compile(r"^([+-]?)((?:\d+\s*[wdhm]\s*)+)$")
_UNIT_MS = {"w": 7 * 86_400_000, "d": 86_400_000, "h": 3_600_000, "m": 60_000}
_DATE_FORMATS = ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y-%m-%d")


@dataclass
class Context:
    """What a query is evaluated against: the data, the projects the caller may search, the clock."""

    ds: Dataset
    visible: frozenset[int]
    now_ms: int
    current_user: int | None = None
    # Validation (Cloud's jql/parse) names an unknown project; a Cloud search answers it with no issues.
    validating: bool = False


class FieldBuilders:
    """One ``_<field>`` method per supported JQL field; each returns a predicate for a clause."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.ds = ctx.ds
        self._shapes: Shapes | None = None

    def clause(self, clause: Clause) -> Predicate:
        raise NotImplementedError

    def _emptiness(self, name: str, empty: bool) -> Predicate:
        getters: dict[str, Callable[[Issue], object]] = {
            "labels": lambda i: i.labels,
            "assignee": lambda i: i.assignee >= 0,
            "reporter": lambda i: i.reporter >= 0,
            "parent": lambda i: i.parent_id or (i.epic_id if self.ds.flavour == "cloud" else 0),
            "description": lambda i: description_of(self.shapes, i),
            "summary": lambda i: True,
        }
        get = getters.get(name)
        if get is None:  # project, status, type, dates... are never empty
            return (lambda _i: False) if empty else (lambda _i: True)
        return (lambda i: not get(i)) if empty else (lambda i: bool(get(i)))

    @property
    def shapes(self) -> Shapes:
        if self._shapes is None:
            self._shapes = Shapes(self.ds, "http://emulator")
        return self._shapes

    # -- membership helpers ------------------------------------------------------------------

    def _members(
        self, clause: Clause, resolve: Callable[[Value], set[object]], get: Callable[[Issue], object]
    ) -> Predicate:
        wanted: set[object] = set()
        for value in clause.values:
            wanted |= resolve(value)
        if clause.op in ("=", "in"):
            return lambda i: get(i) in wanted
        return lambda i: get(i) not in wanted

    def _lookup(self, value: Value, field_name: str, table: dict[str, object]) -> set[object]:
        found = table.get(value.text.lower())
        if found is None or value.func is not None:
            raise JQLError(f"The value '{value.text}' does not exist for the field '{field_name}'.")
        return {found}

    # -- fields ------------------------------------------------------------------------------

    def project_ids(self, clause: Clause) -> set[int]:
        ids: set[int] = set()
        for value in clause.values:
            text = value.text.strip()
            match = [
                p.id
                for p in self.ds.projects.values()
                if p.id in self.ctx.visible
                and (p.key.lower() == text.lower() or str(p.id) == text or p.name.lower() == text.lower())
            ]
            if value.func is not None or (not match and (self.ds.flavour != "cloud" or self.ctx.validating)):
                raise JQLError(f"The value '{value.text}' does not exist for the field '{clause.field}'.")
            # Cloud answers a project the caller cannot read (or that does not exist) with no issues.
            ids.update(match)
        return ids

    def _project(self, clause: Clause) -> Predicate:
        ids = self.project_ids(clause)
        if clause.op in ("=", "in"):
            return lambda i: i.project_id in ids
        return lambda i: i.project_id not in ids

    def resolve_issue(self, clause: Clause, value: Value) -> Issue:
        """The issue a literal of the issue-key field names (Jira's ``IssueIdValidator``): a numeric id
        or a key, the old key of a moved issue included; anything else makes the query invalid."""
        text = value.text.strip()
        if text.isdigit():
            issue = self.ds.issues.get(int(text))
            if issue is None or issue.project_id not in self.ctx.visible:
                raise JQLError(f"A value with ID '{text}' does not exist for the field '{clause.field}'.")
            return issue
        if _KEY.match(text) is None or value.func is not None:
            raise JQLError(f"The issue key '{text}' for field '{clause.field}' is invalid.")
        found = self.ds.find_issue(text)
        if found is None or found.project_id not in self.ctx.visible:
            raise JQLError(f"An issue with key '{text.upper()}' does not exist for field '{clause.field}'.")
        return found

    def _key(self, clause: Clause) -> Predicate:
        """``id``, ``key``, ``issuekey`` and ``issue`` are one field: literals resolve to issues;
        ``>``/``<`` compare key numbers inside the resolved issue's *current* project
        (``IssueIdClauseQueryFactory.handleRelational``), never numeric ids."""
        issues = [self.resolve_issue(clause, value) for value in clause.values]
        if clause.op in ("=", "!=", "in", "not in"):
            ids = {i.id for i in issues}
            positive = clause.op in ("=", "in")
            return lambda i: (i.id in ids) is positive
        anchor, compare = issues[0], _COMPARE[clause.op]
        pid, n = anchor.project_id, anchor.number
        return lambda i: i.project_id == pid and compare(i.number, n)

    def _created(self, clause: Clause) -> Predicate:
        return self._date(clause, lambda i: i.created)

    def _updated(self, clause: Clause) -> Predicate:
        return self._date(clause, lambda i: i.updated)

    def _date(self, clause: Clause, get: Callable[[Issue], int]) -> Predicate:
        moments = [self.moment(v, clause.field) for v in clause.values]
        if clause.op in ("in", "not in", "=", "!="):
            minutes = {m // 60_000 for m in moments}
            positive = clause.op in ("=", "in")
            return lambda i: (get(i) // 60_000 in minutes) is positive
        compare, bound = _COMPARE[clause.op], moments[0]
        return lambda i: compare(get(i), bound)

    def _zone(self) -> tzinfo:
        if self.ctx.current_user is not None:
            try:
                return ZoneInfo(self.ds.users[self.ctx.current_user].time_zone)
            except (ZoneInfoNotFoundError, IndexError, KeyError):
                pass
        return timezone(timedelta(minutes=self.ds.utc_offset_minutes))

    def moment(self, value: Value, field_name: str) -> int:
        """Epoch ms of a JQL date value: absolute, relative (``-1w 2d``) or a date function.

        Like Jira, absolute dates and day boundaries are read in the searching user's time zone (the
        one ``/myself`` reports); without a user, in the site's offset.
        """
        tz = self._zone()
        now = self.ctx.now_ms
        if value.func is not None:
            name = value.func.lower()
            if value.args:
                raise JQLError(f"The function '{value.func}' takes no arguments in this Jira emulator.")
            day_start = int(
                datetime.fromtimestamp(now / 1000, tz)
                .replace(hour=0, minute=0, second=0, microsecond=0)
                .timestamp()
                * 1000
            )
            functions = {"now": now, "startofday": day_start, "endofday": day_start + 86_400_000 - 1}
            if name not in functions:
                raise JQLError(f"Unable to find JQL function '{value.func}()'.")
            return functions[name]
        text = value.text.strip()
        relative = _RELATIVE.match(text)
        if relative:
            total = sum(int(n) * _UNIT_MS[u] for n, u in re.findall(r"(\d+)\s*([wdhm])", relative.group(2)))
            return now - total if relative.group(1) == "-" else now + total
        for fmt in _DATE_FORMATS:
            try:
                return int(datetime.strptime(text, fmt).replace(tzinfo=tz).timestamp() * 1000)
            except ValueError:
                continue
        raise JQLError(
            f"Date value '{text}' for field '{field_name}' is invalid. Valid formats include: "
            "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', "
            "or a period format e.g. '-5d', '4w 2d'."
        )

    def _status(self, clause: Clause) -> Predicate:
        table: dict[str, object] = {s.name.lower(): s.id for s in catalog.STATUSES}
        table.update({s.id: s.id for s in catalog.STATUSES})
        return self._members(clause, lambda v: self._lookup(v, clause.field, table), lambda i: i.status_id)

    def _statuscategory(self, clause: Clause) -> Predicate:
        table: dict[str, object] = {}
        for c in catalog.STATUS_CATEGORIES:
            table.update({c.name.lower(): c.id, c.key: c.id, str(c.id): c.id})
        return self._members(
            clause,
            lambda v: self._lookup(v, clause.field, table),
            lambda i: catalog.STATUS_BY_ID[i.status_id].category.id,
        )

    def _issuetype(self, clause: Clause) -> Predicate:
        table: dict[str, object] = {t.name.lower(): t.id for t in catalog.ISSUE_TYPES}
        table.update({t.id: t.id for t in catalog.ISSUE_TYPES})

        def resolve(value: Value) -> set[object]:
            if value.func is not None and value.func.lower() == "standardissuetypes":
                return {t.id for t in catalog.ISSUE_TYPES if not t.subtask}
            if value.func is not None and value.func.lower() == "subtaskissuetypes":
                return {t.id for t in catalog.ISSUE_TYPES if t.subtask}
            return self._lookup(value, clause.field, table)

        return self._members(clause, resolve, lambda i: i.type_id)

    def _priority(self, clause: Clause) -> Predicate:
        table: dict[str, object] = {p.name.lower(): p.id for p in catalog.PRIORITIES}
        table.update({p.id: p.id for p in catalog.PRIORITIES})
        return self._members(clause, lambda v: self._lookup(v, clause.field, table), lambda i: i.priority_id)

    def _labels(self, clause: Clause) -> Predicate:
        wanted = {v.text for v in clause.values}
        if clause.op in ("=", "in"):
            return lambda i: not wanted.isdisjoint(i.labels)
        return lambda i: bool(i.labels) and wanted.isdisjoint(i.labels)

    def _user(self, clause: Clause, get: Callable[[Issue], int]) -> Predicate:
        table: dict[str, object] = {}
        for u in self.ds.users:
            for alias in (u.account_id, u.name, u.key, u.email, u.display_name):
                table[alias.lower()] = u.index

        def resolve(value: Value) -> set[object]:
            if value.func is not None and value.func.lower() == "currentuser":
                return {self.ctx.current_user if self.ctx.current_user is not None else -2}
            return self._lookup(value, clause.field, table)

        return self._members(clause, resolve, get)

    def _assignee(self, clause: Clause) -> Predicate:
        return self._user(clause, lambda i: i.assignee)

    def _reporter(self, clause: Clause) -> Predicate:
        return self._user(clause, lambda i: i.reporter)

    def _parent(self, clause: Clause) -> Predicate:
        def resolve(value: Value) -> set[object]:
            issue = self.ds.find_issue(value.text)
            if issue is None or issue.project_id not in self.ctx.visible:
                raise JQLError(f"An issue with key '{value.text}' does not exist for field '{clause.field}'.")
            return {issue.id}

        cloud = self.ds.flavour == "cloud"
        return self._members(clause, resolve, lambda i: i.parent_id or (i.epic_id if cloud else 0))

    def _text_match(self, clause: Clause, get: Callable[[Issue], str | None]) -> Predicate:
        needle = clause.values[0].text.lower().strip("*")
        positive = clause.op == "~"
        return lambda i: (needle in (get(i) or "").lower()) is positive

    def _summary(self, clause: Clause) -> Predicate:
        return self._text_match(clause, lambda i: summary_of(self.shapes, i))

    def _description(self, clause: Clause) -> Predicate:
        return self._text_match(clause, lambda i: description_of(self.shapes, i))

    def _text(self, clause: Clause) -> Predicate:
        return self._text_match(
            clause, lambda i: f"{summary_of(self.shapes, i)}\n{description_of(self.shapes, i) or ''}"
        )


_COMPARE: dict[str, Callable[[int, int], bool]] = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
