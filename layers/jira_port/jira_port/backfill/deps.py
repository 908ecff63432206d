"""The narrow interfaces the backfill needs from the Jira client, the mapping, Port and the guard.

The real ``JiraClient``, ``CompiledMapping``, ``PortClient``, ``apply_actions`` and
``VersionGuard`` satisfy them structurally; tests pass small fakes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol

from jira_port.actions import Action


class IssuePageLike(Protocol):
    """One page of issues; ``cursor`` resumes after it (None on the last page)."""

    @property
    def issues(self) -> list[dict[str, Any]]: ...

    @property
    def cursor(self) -> dict[str, Any] | None: ...


class JiraSource(Protocol):
    """What the backfill reads from Jira."""

    def iter_projects(self) -> Iterator[dict[str, Any]]: ...

    def iter_issue_pages(
        self,
        jql: str,
        *,
        fields: list[str] | None = None,
        expand: str | None = None,
        page_size: int | None = None,
        cursor: dict[str, Any] | None = None,
    ) -> Iterator[IssuePageLike]: ...


class MappingLike(Protocol):
    """A compiled mapping: webhook-shaped event in, Port actions out."""

    def evaluate(
        self,
        body: Any,
        headers: Mapping[str, str] | None = None,
        query_params: Mapping[str, str] | None = None,
        *,
        jira_base_url: str | None = None,
    ) -> list[Action]: ...


class FailureLike(Protocol):
    """One entity Port did not accept (``EntityFailure``)."""

    @property
    def blueprint(self) -> str: ...

    @property
    def identifier(self) -> str: ...

    @property
    def operation(self) -> str: ...

    @property
    def status(self) -> int: ...

    @property
    def error(self) -> str: ...

    @property
    def message(self) -> str: ...

    @property
    def transient(self) -> bool: ...


class ApplyResultLike(Protocol):
    """The outcome of writing a list of actions (``ApplyResult``)."""

    @property
    def upserted(self) -> int: ...

    @property
    def deleted(self) -> int: ...

    @property
    def failures(self) -> Sequence[FailureLike]: ...

    @property
    def retried(self) -> int: ...


ApplyFn = Callable[[list[Action]], ApplyResultLike]


class DeleteResultLike(Protocol):
    """The outcome of a bulk delete (``BulkResult``)."""

    @property
    def succeeded(self) -> list[str]: ...

    @property
    def absent(self) -> list[str]: ...

    @property
    def failures(self) -> Sequence[FailureLike]: ...


class PortCatalog(Protocol):
    """The Port reads and deletes reconciliation needs."""

    def iter_entity_identifiers(
        self, blueprint: str, *, created_by: Sequence[str] | None = None
    ) -> Iterator[str]: ...

    def delete_entities(
        self, blueprint: str, identifiers: Iterable[str], *, delete_dependents: bool = False
    ) -> DeleteResultLike: ...


class VersionGuardLike(Protocol):
    """Which entities changed through the live path after ``version_ms`` (``VersionGuard``)."""

    def newer_entries(self, keys: Iterable[tuple[str, str]], version_ms: int) -> set[tuple[str, str]]: ...
