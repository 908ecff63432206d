"""Custom fields of emulated issues (Cloud ``customfield_100xx``, Server ``customfield_10[12]xx``): sprint,
epic link/name, rank, story points and a few generic select/text/number/user fields, derived from the seed."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jira_port_emulators.jira import catalog
from jira_port_emulators.jira.kinds_model import Sprint
from jira_port_emulators.jira.model import Issue, mix
from jira_port_emulators.jira.shapes import iso_utc
from jira_port_emulators.jira.texts import summary_of

if TYPE_CHECKING:
    from jira_port_emulators.jira.render import IssueRenderer

CLOUD_CUSTOM = {
    "customfield_10011": ("Epic Name", "string"),
    "customfield_10014": ("Epic Link", "any"),
    "customfield_10015": ("Start date", "date"),
    "customfield_10016": ("Story point estimate", "number"),
    "customfield_10019": ("Rank", "any"),
    "customfield_10020": ("Sprint", "array"),
    "customfield_10021": ("Flagged", "array"),
    "customfield_10050": ("Team", "option"),
    "customfield_10051": ("Customer", "string"),
    "customfield_10052": ("Effort (days)", "number"),
    "customfield_10053": ("Platforms", "array"),
    "customfield_10054": ("Reviewer", "user"),
}
SERVER_CUSTOM = {
    "customfield_10100": ("Sprint", "array"),
    "customfield_10101": ("Epic Link", "any"),
    "customfield_10102": ("Epic Name", "string"),
    "customfield_10104": ("Rank", "any"),
    "customfield_10105": ("Story Points", "number"),
    "customfield_10200": ("Team", "option"),
    "customfield_10201": ("Customer", "string"),
    "customfield_10202": ("Platforms", "array"),
    "customfield_10203": ("Reviewer", "user"),
}
_TEAMS = ("Core", "Edge", "Data", "Mobile")
_PLATFORMS = ("iOS", "Android", "Web")
_CUSTOMERS = ("Acme", "Globex", "Initech", "Umbrella")


def custom_fields(renderer: IssueRenderer) -> dict[str, Callable[[Issue], Any]]:
    """Field id -> value function for ``renderer``'s flavour."""
    fields = CustomFields(renderer)
    return fields.cloud() if renderer.cloud else fields.server()


class CustomFields:
    """Seed-derived custom field values; mutations override them through ``Issue.overrides``."""

    def __init__(self, renderer: IssueRenderer) -> None:
        self.r = renderer

    def user_field(self, issue: Issue, salt: int) -> dict[str, Any] | None:
        h = mix(self.r.ds.seed, issue.id, salt)
        return self.r.shapes.user(h % len(self.r.ds.users)) if h % 3 == 0 else None

    def option(self, field_id: int, values: tuple[str, ...], h: int) -> dict[str, Any]:
        index = h % len(values)
        option_id = str(10100 + field_id % 1000 * 10 + index)
        return {
            "self": f"{self.r.shapes.rest}/customFieldOption/{option_id}",
            "value": values[index],
            "id": option_id,
        }

    def sprint_of(self, issue: Issue) -> Sprint | None:
        """The issue's current sprint: one of its project's sprints for two thirds of non-epics."""
        h = mix(self.r.ds.seed, issue.id, 5)
        if h % 3 == 0 or issue.type_id == catalog.EPIC.id:
            return None
        found: Sprint | None = self.r.ds.kinds.pick("sprint", issue.project_id, issue.updated, h // 3)
        return found

    def derived(self, kind: str, field_id: int, issue: Issue) -> Any:
        """Seed-derived values of the generic custom fields (story points, team, ...)."""
        h = mix(self.r.ds.seed, issue.id, field_id)
        if kind == "points":
            return float(h % 8) or None
        if kind == "team":
            return self.option(field_id, _TEAMS, h) if h % 2 else None
        if kind == "customer":
            return _CUSTOMERS[h % 4] if h % 3 == 0 else None
        if kind == "effort":
            return h % 10 if h % 2 else None
        if kind == "platforms":
            return [self.option(field_id, _PLATFORMS, h)] if h % 4 == 0 else None
        return self.user_field(issue, field_id)  # "user"

    def generic(self, kinds: dict[str, str]) -> dict[str, Callable[[Issue], Any]]:
        out: dict[str, Callable[[Issue], Any]] = {}
        for name, kind in kinds.items():
            field_id = int(name.rsplit("_", 1)[1])
            out[name] = functools.partial(self.derived, kind, field_id)
        return out

    def epic_name(self, issue: Issue) -> str | None:
        return summary_of(self.r.shapes, issue) if issue.type_id == catalog.EPIC.id else None

    def cloud(self) -> dict[str, Callable[[Issue], Any]]:
        def sprint(i: Issue) -> Any:
            found = self.sprint_of(i)
            if found is None:
                return None
            shape = {"id": found.id, "name": found.name, "state": found.state, "boardId": found.board_id}
            shape["goal"] = found.goal
            if found.start:
                shape.update(startDate=iso_utc(found.start), endDate=iso_utc(found.end))
            if found.complete:
                shape["completeDate"] = iso_utc(found.complete)
            return [shape]

        kinds = {
            "customfield_10016": "points",
            "customfield_10050": "team",
            "customfield_10051": "customer",
            "customfield_10052": "effort",
            "customfield_10053": "platforms",
            "customfield_10054": "user",
        }
        return {
            "customfield_10011": self.epic_name,
            "customfield_10014": lambda i: None,  # Epic Link: deprecated on Cloud, see ``parent``
            "customfield_10015": lambda i: None,
            "customfield_10019": lambda i: f"0|i{i.id:05x}:",
            "customfield_10020": sprint,
            "customfield_10021": lambda i: None,
            **self.generic(kinds),
        }

    def server(self) -> dict[str, Callable[[Issue], Any]]:
        def sprint(i: Issue) -> Any:
            found = self.sprint_of(i)
            if found is None:
                return None
            start = iso_utc(found.start) if found.start else "<null>"
            end = iso_utc(found.end) if found.end else "<null>"
            complete = iso_utc(found.complete) if found.complete else "<null>"
            return [
                f"com.atlassian.greenhopper.service.sprint.Sprint@{mix(found.id) % 0xFFFFFF:x}"
                f"[id={found.id},rapidViewId={found.board_id},state={found.state.upper()},name={found.name},"
                f"startDate={start},endDate={end},completeDate={complete},sequence={found.id}]"
            ]

        def epic_link(i: Issue) -> str | None:
            epic = self.r.ds.issues.get(i.epic_id) if i.epic_id else None
            return self.r.ds.issue_key(epic) if epic is not None else None

        kinds = {
            "customfield_10105": "points",
            "customfield_10200": "team",
            "customfield_10201": "customer",
            "customfield_10202": "platforms",
            "customfield_10203": "user",
        }
        return {
            "customfield_10100": sprint,
            "customfield_10101": epic_link,
            "customfield_10102": self.epic_name,
            "customfield_10104": lambda i: f"0|i{i.id:05x}:",
            **self.generic(kinds),
        }
