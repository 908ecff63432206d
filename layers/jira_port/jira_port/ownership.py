"""Which Port entities this deployment wrote: the ownership ledger in the state table.

Deletes (a full run's reconciliation, a live delete event) touch only entities in the ledger, so
entities other writers created in the same blueprints (another Jira site's stack, Port's Ocean
integration, a script) are never removed, whatever their share.

Why a ledger and not Port's ``createdBy``/``updatedBy``: those hold the *client id* of the credential
that wrote (docs/port-behaviour.md), which changes when credentials are rotated and is the same for
two stacks sharing one credential, and ``updatedBy`` moves to whoever edited last. The ledger is
keyed by nothing but blueprint and identifier, so a rotation changes nothing.

Layout: one item per entity, ``pk = owned#<blueprint>``, ``sk = <identifier>``, no expiry. Every
successful upsert (backfill pages, live events) records its entity; every delete forgets it.

A deployment without a ledger (the upgrade from a version without one, or a stack redeployed under
a new name, whose new state table starts empty) owns nothing yet: its first full run deletes nothing
and adopts every entity Jira confirms (each in-scope entity it writes), reporting the unseen
entities it kept as not owned. See docs/internals.md, "Ownership".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jira_port.backfill.tables import ItemTable

PK_PREFIX = "owned#"
_RECORD: dict[str, str] = {}


def _pk(blueprint: str) -> str:
    return f"{PK_PREFIX}{blueprint}"


def _by_blueprint(keys: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for blueprint, identifier in dict.fromkeys(keys):
        grouped[blueprint].append(identifier)
    return grouped


class OwnershipLedger:
    """The entities this deployment owns; every method raises ``StateError`` when the table fails."""

    def __init__(self, table: ItemTable) -> None:
        self.table = table

    def record(self, keys: Iterable[tuple[str, str]]) -> None:
        """Mark (blueprint, identifier) pairs as written by this deployment."""
        for blueprint, identifiers in _by_blueprint(keys).items():
            self.table.put_many(_pk(blueprint), identifiers, _RECORD)

    def forget(self, keys: Iterable[tuple[str, str]]) -> None:
        """Drop pairs whose entities were deleted."""
        for blueprint, identifiers in _by_blueprint(keys).items():
            self.table.delete_many(_pk(blueprint), identifiers)

    def owns(self, blueprint: str, identifier: str) -> bool:
        """Whether this deployment wrote ``identifier`` of ``blueprint``."""
        return self.table.get(_pk(blueprint), identifier) is not None

    def identifiers(self, blueprint: str) -> Iterator[str]:
        """Every identifier of ``blueprint`` this deployment owns."""
        for sk, _ in self.table.query(_pk(blueprint), ""):
            yield sk
