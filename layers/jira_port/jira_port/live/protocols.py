"""The interfaces the live path needs from the mapping and the apply step (implemented elsewhere)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from jira_port.actions import Action

if TYPE_CHECKING:
    from jira_port.port.types import EntityFailure


class EventMapping(Protocol):
    """What ``jira_port.mapping.CompiledMapping`` offers the live path."""

    def evaluate(
        self,
        body: Any,
        headers: Mapping[str, str] | None = None,
        query_params: Mapping[str, str] | None = None,
        *,
        jira_base_url: str | None = None,
        raw_body: str | None = None,
    ) -> list[Action]:
        """The Port actions for one event (pure; never raises on event content)."""
        ...

    def relevant(
        self,
        body: Any,
        headers: Mapping[str, str] | None = None,
        query_params: Mapping[str, str] | None = None,
        *,
        jira_base_url: str | None = None,
        raw_body: str | None = None,
    ) -> bool:
        """Whether any rule's filter selects the event."""
        ...


class ApplyOutcome(Protocol):
    """What ``jira_port.port.apply.ApplyResult`` offers: the per-entity failures."""

    @property
    def failures(self) -> Sequence[EntityFailure]:
        """Entities Port did not accept."""
        ...


class ApplyActions(Protocol):
    """``apply_actions`` bound to a Port client."""

    def __call__(self, actions: Sequence[Action], /) -> ApplyOutcome:
        """Write the actions to Port; failures are returned, never raised."""
        ...
