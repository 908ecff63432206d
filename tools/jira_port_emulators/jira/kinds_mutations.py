"""Create, update and delete users, boards, sprints, versions and components, with Jira's webhook events.

```python
emu.create_kind("sprint", {"board": 1, "name": "Sprint 9"})         # sprint_created
emu.update_kind("sprint", 9, {"state": "active"})                    # sprint_started
emu.update_kind("version", 10003, {"released": True})               # jira:version_released
emu.delete_kind("version", 10003, merged_to=10004)                   # jira:version_deleted + mergedTo
```

Each call returns the webhook body it emitted (``{timestamp, webhookEvent, <kind>: {...REST shape...}}``).
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import TYPE_CHECKING, Any

from jira_port_emulators.jira import catalog
from jira_port_emulators.jira.kinds_model import Board, Component, Sprint, Version
from jira_port_emulators.jira.kinds_shapes import board_json, component_json, sprint_json, version_json
from jira_port_emulators.jira.model import User, mix
from jira_port_emulators.jira.mutation_base import MutationBase, MutationError
from jira_port_emulators.jira.shapes import format_date, render_user

if TYPE_CHECKING:
    from jira_port_emulators.jira.sender import WebhookSender

KINDS = ("user", "board", "sprint", "version", "component")
_FIELDS = {
    "user": {"displayName", "emailAddress", "active", "timeZone", "name", "accountType"},
    "board": {"name", "type", "projects"},
    "sprint": {"board", "name", "state", "goal", "startDate", "endDate"},
    "version": {
        *("project", "name", "description", "released", "archived", "releaseDate", "startDate", "position")
    },
    "component": {"project", "name", "description", "lead", "assigneeType", "archived"},
}
_PREFIX = {"version": "jira:version_"}


class KindMutations(MutationBase):
    """Mixed into ``JiraEmulator`` (see the module docstring)."""

    def create_kind(self, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Create a user, board, sprint, version or component (``<kind>_created``)."""
        emu = self._emu()
        self._check(kind, fields)
        with emu.lock:
            obj = getattr(self, f"_new_{kind}")(fields)
            emu.ds.version += 1
            body, senders = self._kind_event(kind, "created", obj)
        emu.dispatch(body, senders)
        return body

    def update_kind(self, kind: str, ident: str | int, fields: dict[str, Any]) -> dict[str, Any]:
        """Change fields; the event says what changed (``sprint_started``, ``jira:version_released`` ...)."""
        emu = self._emu()
        self._check(kind, fields)
        with emu.lock:
            obj = self._find(kind, ident)
            action = getattr(self, f"_set_{kind}")(obj, fields)
            emu.ds.version += 1
            body, senders = self._kind_event(kind, action, self._find(kind, ident))
        emu.dispatch(body, senders)
        return body

    def delete_kind(self, kind: str, ident: str | int, *, merged_to: int | None = None) -> dict[str, Any]:
        """Delete (``<kind>_deleted``); a version merged into ``merged_to`` carries ``mergedTo``. On Cloud a
        deleted user stays listed, inactive; on Data Center it is gone, and a user who is an issue's
        assignee or reporter cannot be deleted (docs/jira-behaviour.md)."""
        emu = self._emu()
        self._check(kind, {})
        with emu.lock:
            obj = self._find(kind, ident)
            extra: dict[str, Any] = {}
            if merged_to is not None:
                if kind != "version":
                    raise MutationError("only versions can be merged")
                target = self._find("version", merged_to)
                if target.project_id != obj.project_id or target.id == obj.id:
                    raise MutationError("a version merges into another version of its project")
                extra["mergedTo"] = self._shape("version", target)
            if kind == "user" and emu.flavour == "server":
                self._check_user_deletable(obj.index)
            body, senders = self._kind_event(kind, "deleted", obj, extra)
            if kind == "user":
                emu.ds.users[obj.index] = dataclasses.replace(obj, deleted=True, active=False)
            else:
                emu.ds.kinds.remove(kind, obj.id, merged_into=merged_to)
            emu.ds.version += 1
        emu.dispatch(body, senders)
        return body

    # -- helpers -----------------------------------------------------------------------------------

    def _check_user_deletable(self, index: int) -> None:
        held = [i for i in self._emu().ds.issues.values() if index in (i.assignee, i.reporter)]
        if held:
            raise MutationError(
                f"The user cannot be deleted: they are the assignee or reporter of {len(held)} issues. "
                "Reassign the issues or deactivate the user."
            )

    @staticmethod
    def _check(kind: str, fields: dict[str, Any]) -> None:
        if kind not in KINDS:
            raise MutationError(f"unknown kind {kind!r} (one of {', '.join(KINDS)})")
        unknown = set(fields) - _FIELDS[kind]
        if unknown:
            raise MutationError(f"unknown {kind} fields: {sorted(unknown)}")

    def _find(self, kind: str, ident: str | int) -> Any:
        emu = self._emu()
        if kind == "user":
            user = emu.ds.users[self._user(ident)]
            if user.deleted:
                raise MutationError(f"User '{ident}' does not exist.")
            return user
        found = getattr(emu.ds.kinds, f"{kind}s").get(int(ident)) if str(ident).isdigit() else None
        if found is None:
            raise MutationError(f"No {kind} with id {ident}.")
        return found

    def _shape(self, kind: str, obj: Any) -> dict[str, Any]:
        emu = self._emu()
        shapes = emu.renderer().shapes
        if kind == "user":
            return render_user(obj, shapes, actor=True)
        if kind == "board":
            return board_json(shapes, obj)
        if kind == "sprint":
            return sprint_json(shapes, obj)
        if kind == "version":
            return version_json(shapes, obj, format_date(emu.now_ms(), emu.ds.utc_offset_minutes))
        return component_json(shapes, obj)

    def _kind_event(
        self, kind: str, action: str, obj: Any, extra: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], list[WebhookSender]]:
        """The body and its senders (under the lock; dispatch after releasing it)."""
        emu = self._emu()
        event = f"{_PREFIX.get(kind, kind + '_')}{action}"
        body = {"timestamp": self._stamp(), "webhookEvent": event, kind: self._shape(kind, obj)}
        body.update(extra or {})
        senders = emu.targets(event, None)
        if event == "jira:version_deleted" and extra:  # registrations may name a merge either way
            senders += [s for s in emu.targets("jira:version_merged", None) if s not in senders]
        return emu.snapshot(body), senders

    def _project_id(self, fields: dict[str, Any]) -> int:
        if "project" not in fields:
            raise MutationError("a project is required")
        return self._project(fields["project"]).id

    # -- per kind ------------------------------------------------------------------------------------

    def _new_user(self, fields: dict[str, Any]) -> User:
        ds = self._emu().ds
        index = len(ds.users)
        display = str(fields.get("displayName") or f"User {index}")
        name = str(fields.get("name") or display.lower().replace(" ", "."))
        if any(u.name == name for u in ds.users):
            raise MutationError(f"A user with the username '{name}' already exists.")
        user = User(
            index=index,
            account_id="712020:" + str(uuid.UUID(int=mix(ds.seed, index, 11) << 64 | mix(index, 12))),
            name=name,
            key=f"JIRAUSER{10000 + index}",
            display_name=display,
            email=str(fields.get("emailAddress") or f"{name}@example.com"),
            time_zone=str(fields.get("timeZone") or catalog.TIME_ZONES[index % len(catalog.TIME_ZONES)]),
            account_type=str(fields.get("accountType") or "atlassian"),
            active=bool(fields.get("active", True)),
        )
        ds.users.append(user)
        return user

    def _set_user(self, user: User, fields: dict[str, Any]) -> str:
        if "name" in fields or "accountType" in fields:
            raise MutationError("a user's username and account type cannot change")
        changed = dataclasses.replace(
            user,
            display_name=str(fields.get("displayName", user.display_name)),
            email=str(fields.get("emailAddress", user.email)),
            time_zone=str(fields.get("timeZone", user.time_zone)),
            active=bool(fields.get("active", user.active)),
        )
        self._emu().ds.users[user.index] = changed
        return "updated"

    def _board_projects(self, fields: dict[str, Any]) -> tuple[int, ...]:
        refs = fields.get("projects")
        if not isinstance(refs, list) or not refs:
            raise MutationError("a board needs a non-empty list of projects")
        return tuple(self._project(r).id for r in refs)

    def _new_board(self, fields: dict[str, Any]) -> Board:
        kinds = self._emu().ds.kinds
        kind = str(fields.get("type", "scrum"))
        if kind not in ("scrum", "kanban", "simple"):
            raise MutationError(f"unknown board type {kind!r}")
        board = Board(kinds.next_board_id, str(fields.get("name") or f"Board {kinds.next_board_id}"), kind,
                      self._board_projects(fields))  # fmt: skip
        kinds.add("board", board)
        return board

    def _set_board(self, board: Board, fields: dict[str, Any]) -> str:
        if "type" in fields:
            raise MutationError("a board's type cannot change")
        board.name = str(fields.get("name", board.name))
        if "projects" in fields:
            board.project_ids = self._board_projects(fields)
            return "configuration_changed"
        return "updated"

    def _new_sprint(self, fields: dict[str, Any]) -> Sprint:
        emu = self._emu()
        kinds = emu.ds.kinds
        board = kinds.boards.get(int(fields.get("board", 0)))
        if board is None or board.type != "scrum":
            raise MutationError("a sprint needs a scrum board ('board')")
        name = str(fields.get("name") or "New sprint")
        sprint = Sprint(kinds.next_sprint_id, board.id, board.project_ids[0], name, "future")
        sprint.created = emu.now_ms()
        sprint.goal = str(fields.get("goal", ""))
        kinds.add("sprint", sprint)
        return sprint

    def _set_sprint(self, sprint: Sprint, fields: dict[str, Any]) -> str:
        if "board" in fields:
            raise MutationError("a sprint's board cannot change")
        now = self._emu().now_ms()
        sprint.name = str(fields.get("name", sprint.name))
        sprint.goal = str(fields.get("goal", sprint.goal))
        state = fields.get("state", sprint.state)
        order = ("future", "active", "closed")
        if state not in order or order.index(state) < order.index(sprint.state):
            raise MutationError(f"a {sprint.state} sprint cannot become {state!r}")
        action = "updated"
        if state == "active" and sprint.state == "future":
            sprint.start, sprint.end, action = now, now + 14 * 86_400_000, "started"
        if state == "closed" and sprint.state != "closed":
            sprint.complete, action = now, "closed"
            sprint.start = sprint.start or now
            sprint.end = sprint.end or now
        sprint.state = state
        return action

    def _new_version(self, fields: dict[str, Any]) -> Version:
        kinds = self._emu().ds.kinds
        version = Version(kinds.next_version_id, self._project_id(fields), str(fields.get("name") or ""))
        version.created = self._emu().now_ms()
        if not version.name:
            raise MutationError("a version needs a name")
        self._set_version(version, {k: v for k, v in fields.items() if k not in ("project", "name")})
        kinds.add("version", version)
        return version

    def _set_version(self, version: Version, fields: dict[str, Any]) -> str:
        if "project" in fields:
            raise MutationError("a version's project cannot change")
        action = "moved" if "position" in fields else "updated"
        released = bool(fields.get("released", version.released))
        if released != version.released:
            action = "released" if released else "unreleased"
        version.name = str(fields.get("name", version.name))
        version.description = str(fields.get("description", version.description))
        version.archived = bool(fields.get("archived", version.archived))
        version.released = released
        version.release_date = fields.get("releaseDate", version.release_date)
        version.start_date = fields.get("startDate", version.start_date)
        return action

    def _new_component(self, fields: dict[str, Any]) -> Component:
        kinds = self._emu().ds.kinds
        project_id = self._project_id(fields)
        name = str(fields.get("name") or "")
        if not name or any(c.name.lower() == name.lower() for c in kinds.project_components(project_id)):
            raise MutationError(f"component name {name!r} is empty or taken in this project")
        component = Component(kinds.next_component_id, project_id, name)
        self._set_component(component, {k: v for k, v in fields.items() if k not in ("project", "name")})
        kinds.add("component", component)
        return component

    def _set_component(self, component: Component, fields: dict[str, Any]) -> str:
        if "project" in fields:
            raise MutationError("a component's project cannot change")
        component.name = str(fields.get("name", component.name))
        component.description = str(fields.get("description", component.description))
        if "lead" in fields:
            component.lead = self._user(fields["lead"]) if fields["lead"] is not None else -1
        component.assignee_type = str(fields.get("assigneeType", component.assignee_type))
        archived = bool(fields.get("archived", component.archived))
        action = "archived" if archived and not component.archived else "updated"
        component.archived = archived
        return action
