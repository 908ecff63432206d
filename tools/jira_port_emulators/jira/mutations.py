"""Issue mutations of ``JiraEmulator``; each returns the webhook body it emitted."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from jira_port_emulators.jira import catalog
from jira_port_emulators.jira.events import changelog, event_type_name, issue_event, move_changelog
from jira_port_emulators.jira.model import Issue
from jira_port_emulators.jira.mutation_base import UNSET, MutationError, custom_fields
from jira_port_emulators.jira.project_mutations import ProjectMutations

if TYPE_CHECKING:
    from jira_port_emulators.jira.sender import WebhookSender

__all__ = ["UNSET", "MutationError", "Mutations"]


class Mutations(ProjectMutations):
    """Mixed into ``JiraEmulator``: state changes under its lock, then webhook dispatch outside it."""

    def create_issue(
        self,
        project: str | int,
        summary: str,
        *,
        issuetype: str = "Task",
        description: str | None = None,
        status: str | None = None,
        priority: str = "Medium",
        assignee: Any = None,
        reporter: Any = None,
        labels: tuple[str, ...] | list[str] = (),
        parent: str | None = None,
        actor: Any = None,
        **custom: Any,
    ) -> dict[str, Any]:
        """Create an issue (``parent``: the parent of a Sub-task, or the epic of a standard issue)."""
        emu = self._emu()
        with emu.lock:
            proj = self._project(project)
            kind = self._named(issuetype, catalog.ISSUE_TYPES, "issue type")
            parent_id = epic_id = 0
            if parent is not None:
                target = self._issue(parent)
                if kind.subtask:
                    if catalog.TYPE_BY_ID[target.type_id].subtask or target.project_id != proj.id:
                        raise MutationError(
                            "a sub-task's parent must be a standard issue of the same project"
                        )
                    parent_id = target.id
                elif target.type_id == catalog.EPIC.id and kind.id != catalog.EPIC.id:
                    epic_id = target.id
                else:
                    raise MutationError("only sub-tasks and issues in an epic have a parent")
            elif kind.subtask:
                raise MutationError("a Sub-task needs a parent")
            now = self._stamp()
            issue = Issue(
                id=emu.ds.next_issue_id,
                project_id=proj.id,
                number=proj.next_number,
                type_id=kind.id,
                status_id=self._named(status or "To Do", catalog.STATUSES, "status").id,
                priority_id=self._named(priority, catalog.PRIORITIES, "priority").id,
                assignee=self._user(assignee) if assignee is not None else -1,
                reporter=self._actor(reporter if reporter is not None else actor),
                created=now,
                updated=now,
                status_changed=now,
                parent_id=parent_id,
                epic_id=epic_id,
                labels=tuple(sorted(set(labels))),
                overrides=custom_fields({"summary": summary, "description": description}, custom),
            )
            emu.ds.next_issue_id += 1
            proj.next_number += 1
            emu.ds.add_issue(issue)
            renderer = emu.renderer()
            log = (
                changelog(renderer, None, issue, emu.next_changelog_id()) if emu.flavour == "cloud" else None
            )
            body = issue_event(
                renderer,
                "jira:issue_created",
                issue,
                actor=self._actor(actor),
                timestamp=now,
                changelog=log,
                type_name=self._type_name("issue_created"),
            )
            body = emu.snapshot(body)
            senders = emu.targets("jira:issue_created", issue)
        emu.dispatch(body, senders)
        return body

    def update_issue(
        self,
        id_or_key: str | int,
        *,
        summary: str = UNSET,
        description: str | None = UNSET,
        status: str | None = None,
        priority: str | None = None,
        assignee: Any = UNSET,
        labels: tuple[str, ...] | list[str] | None = None,
        issuetype: str | None = None,
        duedate: str | None = UNSET,
        actor: Any = None,
        **custom: Any,
    ) -> dict[str, Any] | None:
        """Change fields (``status`` by name or id, ``assignee`` None to unassign, ``customfield_*``);
        returns the ``jira:issue_updated`` body, or None when nothing changed (Jira sends nothing)."""
        emu = self._emu()
        with emu.lock:
            old = self._issue(id_or_key)
            overrides = dict(old.overrides or {})
            for name, value in (("summary", summary), ("description", description), ("duedate", duedate)):
                if value is not UNSET:
                    overrides[name] = value
            overrides.update(custom_fields({}, custom))
            changes: dict[str, Any] = {"overrides": overrides or None}
            if status is not None:
                changes["status_id"] = self._named(status, catalog.STATUSES, "status").id
            if priority is not None:
                changes["priority_id"] = self._named(priority, catalog.PRIORITIES, "priority").id
            if assignee is not UNSET:
                changes["assignee"] = self._user(assignee) if assignee is not None else -1
            if labels is not None:
                changes["labels"] = tuple(sorted(set(labels)))
            if issuetype is not None:
                changes["type_id"] = self._named(issuetype, catalog.ISSUE_TYPES, "issue type").id
            candidate = dataclasses.replace(old, **changes)
            renderer = emu.renderer()
            log = changelog(renderer, old, candidate, 0)
            if not log["items"]:
                return None
            now = self._stamp(old.updated)
            new = dataclasses.replace(candidate, updated=now)
            if new.status_id != old.status_id:
                new.status_changed = now
            emu.ds.replace_issue(new)
            log["id"] = str(emu.next_changelog_id())
            body = issue_event(
                renderer,
                "jira:issue_updated",
                new,
                actor=self._actor(actor),
                timestamp=now,
                changelog=log,
                type_name=self._type_name(event_type_name(log["items"])),
            )
            body = emu.snapshot(body)
            senders = emu.targets("jira:issue_updated", new)
        emu.dispatch(body, senders)
        return body

    def move_issue(self, id_or_key: str | int, project: str | int, *, actor: Any = None) -> dict[str, Any]:
        """Move an issue (and its sub-tasks) to ``project``, as Jira's Move does: the id stays, the key
        becomes the target's next number, the old key still resolves, and ``jira:issue_updated`` carries
        ``Key`` and ``project`` changelog items. Returns the moved issue's event body."""
        emu = self._emu()
        events: list[tuple[dict[str, Any], list[WebhookSender]]] = []
        with emu.lock:
            issue = self._issue(id_or_key)
            target = self._project(project)
            if issue.parent_id:
                raise MutationError("move the parent: a sub-task moves with it")
            if target.id == issue.project_id:
                raise MutationError("the issue is already in that project")
            who = self._actor(actor)
            for moving in [issue, *(emu.ds.issues[c] for c in emu.ds.subtasks.get(issue.id, []))]:
                events.append(self._move_one(moving, target, who))
        for n, (body, senders) in enumerate(events):
            emu.dispatch(body, senders, flow="Primary" if n == 0 else "Secondary")
        return events[0][0]

    def _move_one(self, issue: Issue, target: Any, who: int) -> tuple[dict[str, Any], list[WebhookSender]]:
        emu = self._emu()
        renderer = emu.renderer()
        old_key, old_project = emu.ds.issue_key(issue), emu.ds.projects[issue.project_id]
        now = self._stamp(issue.updated)
        moved = emu.ds.move_issue(issue, target, now)
        log = move_changelog(renderer, old_key, old_project, moved, emu.next_changelog_id())
        body = issue_event(
            renderer,
            "jira:issue_updated",
            moved,
            actor=who,
            timestamp=now,
            changelog=log,
            type_name=self._type_name("issue_moved"),
        )
        return emu.snapshot(body), emu.targets("jira:issue_updated", moved)

    def delete_issue(self, id_or_key: str | int, *, actor: Any = None) -> dict[str, Any]:
        """Delete an issue and its sub-tasks (their ``jira:issue_deleted`` go on the Secondary flow)."""
        emu = self._emu()
        cascade: list[tuple[dict[str, Any], list[WebhookSender]]] = []
        with emu.lock:
            issue = self._issue(id_or_key)
            who, now = self._actor(actor), self._stamp()
            renderer = emu.renderer()
            for child_id in list(emu.ds.subtasks.get(issue.id, [])):
                child = emu.ds.issues[child_id]
                child_body = emu.snapshot(
                    issue_event(renderer, "jira:issue_deleted", child, actor=who, timestamp=now)
                )
                cascade.append((child_body, emu.targets("jira:issue_deleted", child)))
            body = emu.snapshot(issue_event(renderer, "jira:issue_deleted", issue, actor=who, timestamp=now))
            senders = emu.targets("jira:issue_deleted", issue)
            for child_id in list(emu.ds.subtasks.get(issue.id, [])):
                emu.ds.remove_issue(child_id)
            emu.ds.remove_issue(issue.id)
        emu.dispatch(body, senders)
        for child_body, child_senders in cascade:
            emu.dispatch(child_body, child_senders, flow="Secondary")
        return body

    def _type_name(self, name: str) -> str | None:
        return None if self._emu().omit_event_type_name else name
