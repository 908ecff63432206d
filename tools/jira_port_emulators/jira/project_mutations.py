"""Project mutations of ``JiraEmulator`` (create, update, delete, Cloud trash and restore)."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from jira_port_emulators.jira.dataset import add_project_components, new_project
from jira_port_emulators.jira.events import project_event
from jira_port_emulators.jira.model import Project
from jira_port_emulators.jira.mutation_base import MutationBase, MutationError

if TYPE_CHECKING:
    from jira_port_emulators.jira.sender import WebhookSender


class ProjectMutations(MutationBase):
    """Each method returns the ``project_*`` webhook body it emitted."""

    # -- projects --------------------------------------------------------------------------------

    def create_project(
        self,
        key: str | None = None,
        name: str = "New Project",
        *,
        lead: Any = None,
        type_key: str = "software",
    ) -> dict[str, Any]:
        """Create a project (``project_created``)."""
        emu = self._emu()
        with emu.lock:
            rng = random.Random(emu.ds.seed * 7919 + emu.ds.next_project_id)
            try:
                project = new_project(emu.ds, name, key, self._actor(lead), rng)
            except ValueError as exc:
                raise MutationError(str(exc)) from None
            project.type_key = type_key
            emu.ds.projects[project.id] = project
            add_project_components(emu.ds, project)
            emu.ds.by_project[project.id] = []
            emu.ds.version += 1
            body, senders = self._project_event("project_created", project)
        emu.dispatch(body, senders)
        return body

    def update_project(
        self, key: str | int, *, name: str | None = None, lead: Any = None, description: str | None = None
    ) -> dict[str, Any]:
        """Rename, change the lead or description (``project_updated``)."""
        emu = self._emu()
        with emu.lock:
            project = self._project(key)
            if name is not None:
                project.name = name
            if lead is not None:
                project.lead = self._user(lead)
            if description is not None:
                project.description = description
            emu.ds.version += 1
            body, senders = self._project_event("project_updated", project)
        emu.dispatch(body, senders)
        return body

    def delete_project(self, key: str | int) -> dict[str, Any]:
        """Delete permanently with its issues (``project_deleted``; no per-issue events)."""
        emu = self._emu()
        with emu.lock:
            project = self._project(key, trashed=None)
            body, senders = self._project_event("project_deleted", project)
            emu.ds.remove_project(project.id)
        emu.dispatch(body, senders)
        return body

    def soft_delete_project(self, key: str | int) -> dict[str, Any]:
        """Cloud: move to the trash (``project_soft_deleted``); its issues leave search results."""
        return self._trash(key, trashed=True, event="project_soft_deleted")

    def restore_project(self, key: str | int) -> dict[str, Any]:
        """Cloud: restore from the trash (``project_restored_deleted``)."""
        return self._trash(key, trashed=False, event="project_restored_deleted")

    def _trash(self, key: str | int, *, trashed: bool, event: str) -> dict[str, Any]:
        emu = self._emu()
        if emu.flavour != "cloud":
            raise MutationError("Data Center has no project trash; use delete_project")
        with emu.lock:
            project = self._project(key, trashed=not trashed)
            project.trashed = trashed
            project.trashed_at = self._stamp() if trashed else 0
            emu.ds.version += 1
            body, senders = self._project_event(event, project)
        emu.dispatch(body, senders)
        return body

    def _project_event(self, event: str, project: Project) -> tuple[dict[str, Any], list[WebhookSender]]:
        """The event body and its senders (call under the lock; dispatch after releasing it)."""
        emu = self._emu()
        body = emu.snapshot(project_event(emu.renderer(), event, project, timestamp=self._stamp()))
        return body, emu.targets(event, None)
