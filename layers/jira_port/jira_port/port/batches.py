"""Cutting entity lists into requests Port accepts: ≤ 20 entities and ≤ 1 MiB per bulk body."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from jira_port.port.session import encode_json

MAX_BULK_ENTITIES = 20
MAX_DELETE_IDS = 100
MAX_BODY_BYTES = 1024 * 1024

MAX_IDENTIFIER_LENGTH = 1000
_IDENTIFIER_CHARS = frozenset("0123456789@_.+:\\/=-")

_PREFIX = b'{"entities":['
_SUFFIX = b"]}"


def identifier_problem(entity: dict[str, Any]) -> str | None:
    """Why Port would refuse ``entity``'s identifier, or None.

    Port's pattern is ``^(?!\\.{1,2}$)[\\p{L}0-9@_.+:\\\\/=-]+$`` with at most 1000 characters; in a
    bulk request one bad identifier fails the whole batch, so bad ones are never sent. Search-query
    identifiers (objects) are left to Port.
    """
    ident = entity.get("identifier")
    if isinstance(ident, dict):
        return None
    if not isinstance(ident, str) or not ident:
        return "the entity has no string identifier"
    if len(ident) > MAX_IDENTIFIER_LENGTH:
        return f"the identifier is longer than {MAX_IDENTIFIER_LENGTH} characters"
    if ident in {".", ".."} or not all(
        c in _IDENTIFIER_CHARS or unicodedata.category(c).startswith("L") for c in ident
    ):
        return "the identifier may only hold letters, digits and @ _ . + : \\ / = - (and is not . or ..)"
    return None


def entity_label(entity: dict[str, Any]) -> str:
    """The identifier to report for ``entity`` (a search-query identifier is shown as JSON)."""
    ident = entity.get("identifier")
    return ident if isinstance(ident, str) else encode_json(ident).decode()


@dataclass(slots=True)
class Batch:
    """Entities for one bulk request; ``indexes`` are their positions in the caller's list."""

    indexes: list[int] = field(default_factory=list)
    parts: list[bytes] = field(default_factory=list)

    @property
    def size(self) -> int:
        """Body size in bytes."""
        return bulk_body_size(self.parts)

    def body(self) -> bytes:
        """The request body ``{"entities":[...]}``."""
        return _PREFIX + b",".join(self.parts) + _SUFFIX

    def halves(self) -> tuple[Batch, Batch]:
        """Split in two (for a 413 answer); both halves are non-empty when ``len >= 2``."""
        mid = len(self.indexes) // 2
        return (
            Batch(self.indexes[:mid], self.parts[:mid]),
            Batch(self.indexes[mid:], self.parts[mid:]),
        )

    def __len__(self) -> int:
        return len(self.indexes)


def bulk_body_size(parts: Sequence[bytes]) -> int:
    """Size of ``{"entities":[p1,p2,...]}`` built from pre-encoded ``parts``."""
    return len(_PREFIX) + sum(len(p) for p in parts) + max(0, len(parts) - 1) + len(_SUFFIX)


def plan_batches(
    entities: Sequence[dict[str, Any]],
    *,
    max_entities: int = MAX_BULK_ENTITIES,
    max_bytes: int = MAX_BODY_BYTES,
    skip: frozenset[int] = frozenset(),
) -> tuple[list[Batch], list[int]]:
    """Group ``entities`` in order into batches within both limits, leaving out ``skip`` indexes.

    Returns the batches and the indexes of entities that exceed ``max_bytes`` on their own (those
    can never be sent and are reported as failures by the caller).
    """
    batches: list[Batch] = []
    oversized: list[int] = []
    current = Batch()
    current_size = len(_PREFIX) + len(_SUFFIX)
    for index, entity in enumerate(entities):
        if index in skip:
            continue
        part = encode_json(entity)
        if bulk_body_size([part]) > max_bytes:
            oversized.append(index)
            continue
        added = len(part) + (1 if current.parts else 0)
        if current.parts and (len(current) >= max_entities or current_size + added > max_bytes):
            batches.append(current)
            current = Batch()
            current_size = len(_PREFIX) + len(_SUFFIX)
            added = len(part)
        current.indexes.append(index)
        current.parts.append(part)
        current_size += added
    if current.parts:
        batches.append(current)
    return batches, oversized


def chunks[T](items: Sequence[T], size: int) -> Iterator[list[T]]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
