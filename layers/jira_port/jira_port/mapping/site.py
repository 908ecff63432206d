"""Several Jira sites in one Port: a per-site identifier prefix/suffix on everything the mapping writes.

Two sites can both have ``ABC-1``. With ``MAPPING_IDENTIFIER_PREFIX=eu:`` one stack writes ``eu:ABC-1``
and the other (say ``us:``) ``us:ABC-1``, so neither overwrites, nor (through the ownership ledger)
deletes, the other's entities. The affix goes on:

- every action's identifier (upserts and deletes, live and backfill alike);
- the values of relations that point at a blueprint this mapping itself writes (``jiraIssue.project`` →
  ``jiraProject``, ``parentIssue``, ``subtasks``), so links stay inside the site. Relation targets come
  from the blueprint definitions bundled with jira-port; relations of other blueprints, and relations
  to blueprints the mapping does not write (e.g. a ``service``), are left as mapped. A custom mapping
  with its own blueprints can write the affix in its jq instead (docs/mapping.md).

A relation given as a search query (an object) to one of those blueprints is narrowed to this site's
identifiers: its rules are and-ed with ``$identifier contains <prefix>`` (and ``<suffix>``), the closest
Port's relation queries allow (``=``, ``in``, ``contains``), so while a catalog moves to a new affix the
old entities do not match too. Search-query identifiers are left alone.
``CompiledMapping.for_site`` builds the mapping of a site; its results carry the affix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from jira_port.port.types import Action


@dataclass(frozen=True, slots=True)
class IdentifierAffix:
    """What to put before and after each identifier, and which relations carry identifiers of ours."""

    prefix: str = ""
    suffix: str = ""
    relations: frozenset[tuple[str, str]] = frozenset()  # (blueprint, relation) to affix

    def name(self, identifier: str) -> str:
        """``identifier`` with the affix."""
        return f"{self.prefix}{identifier}{self.suffix}"

    def apply(self, action: Action) -> Action:
        """``action`` with its identifier and its own-blueprint relation values affixed."""
        entity = dict(action.entity)
        if isinstance(entity.get("identifier"), str):
            entity["identifier"] = self.name(entity["identifier"])
        relations = entity.get("relations")
        if isinstance(relations, dict):
            entity["relations"] = {
                key: self._relation(value) if (action.blueprint, key) in self.relations else value
                for key, value in relations.items()
            }
        return replace(action, entity=entity)

    def _relation(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.name(value)
        if isinstance(value, list):
            return [self.name(v) if isinstance(v, str) else v for v in value]
        if isinstance(value, dict):
            ours = [
                {"property": "$identifier", "operator": "contains", "value": part}
                for part in (self.prefix, self.suffix)
                if part
            ]
            return {"combinator": "and", "rules": [value, *ours]} if ours else value
        return value


def own_relations(written: frozenset[str], definitions: list[dict[str, Any]]) -> frozenset[tuple[str, str]]:
    """(blueprint, relation) pairs whose target is a blueprint in ``written``."""
    pairs = set()
    for definition in definitions:
        relations: Mapping[str, Any] = definition.get("relations") or {}
        for key, relation in relations.items():
            if isinstance(relation, dict) and relation.get("target") in written:
                pairs.add((str(definition.get("identifier")), key))
    return frozenset(pairs)
