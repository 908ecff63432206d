"""Shared helpers of the emulator's mutations: lookups, user resolution, timestamps, errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jira_port_emulators.jira.model import Issue, Project

if TYPE_CHECKING:
    from jira_port_emulators.jira.emulator import JiraEmulator

UNSET: Any = object()


class MutationError(ValueError):
    """A mutation Jira would refuse (unknown issue, bad value, ...)."""


class MutationBase:
    """Lookups shared by the mutation mixins of ``JiraEmulator``."""

    # -- lookups ---------------------------------------------------------------------------------

    def _emu(self) -> JiraEmulator:
        return self  # type: ignore[return-value]

    def _issue(self, id_or_key: str | int) -> Issue:
        issue = self._emu().ds.find_issue(id_or_key)
        if issue is None:
            raise MutationError(f"Issue does not exist: {id_or_key}")
        return issue

    def _project(self, key_or_id: str | int, *, trashed: bool | None = False) -> Project:
        ds = self._emu().ds
        text = str(key_or_id)
        project = ds.projects.get(int(text)) if text.isdigit() else ds.project_by_key(text)
        if project is None or (trashed is not None and project.trashed != trashed):
            raise MutationError(f"No project could be found with key '{key_or_id}'.")
        return project

    def _user(self, who: Any) -> int:
        """A dataset user index from an index, accountId, username, user key, email or display name."""
        users = self._emu().ds.users
        if isinstance(who, int) and not isinstance(who, bool):
            if not 0 <= who < len(users):
                raise MutationError(f"no user #{who}")
            return who
        text = str(who).lower()
        for user in users:
            if text in (
                user.account_id.lower(),
                user.name,
                user.key.lower(),
                user.email,
                user.display_name.lower(),
            ):
                return user.index
        raise MutationError(f"User '{who}' does not exist.")

    def _actor(self, actor: Any) -> int:
        emu = self._emu()
        return self._user(actor) if actor is not None else emu.accounts[0].user_index if emu.accounts else 0

    @staticmethod
    def _named(value: Any, items: tuple[Any, ...], what: str) -> Any:
        text = str(value).lower()
        found = next((i for i in items if text in (i.id, i.name.lower())), None)
        if found is None:
            raise MutationError(f"The {what} '{value}' does not exist.")
        return found

    def _stamp(self, old: int = 0) -> int:
        return max(self._emu().now_ms(), old + 1)


def custom_fields(base: dict[str, Any], custom: dict[str, Any]) -> dict[str, Any]:
    for name, value in custom.items():
        if not name.startswith("customfield_"):
            raise MutationError(f"unknown field {name!r} (custom fields are customfield_NNNNN)")
        base[name] = value
    return base
