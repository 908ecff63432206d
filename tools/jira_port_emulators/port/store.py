"""The emulator's catalog: blueprints and entities with Port's write, relation and delete rules.

Every method validates fully before it changes anything, so a refused write leaves no trace.
Callers hold ``lock`` around each request (the HTTP layer does).
"""

from __future__ import annotations

import copy
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from jira_port_emulators.port.blueprints import (
    META_KEYS,
    forbidden_format_change,
    format_changes,
    validate_blueprint,
)
from jira_port_emulators.port.entity_rules import Candidate, build_candidate, check_candidate
from jira_port_emulators.port.errors import ApiError, not_found
from jira_port_emulators.port.webhooks import WebhookStore

ACTOR = "local-port-emulator"  # the author of writes made directly (test set-up), not through the API


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class PortStore:
    """Blueprints and entities of one emulated Port organisation."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.lock = threading.RLock()
        self._clock = clock
        self.blueprints: dict[str, dict[str, Any]] = {}
        self.entities: dict[str, dict[str, dict[str, Any]]] = {}
        self.creations: Counter[tuple[str, str]] = Counter()
        self.webhooks = WebhookStore(self._stamp)
        self.actor = ACTOR  # who the request being answered authenticated as (set under ``lock``)

    def _stamp(self, record: dict[str, Any], created: dict[str, Any] | None) -> None:
        now = _iso(self._clock())
        record["createdAt"] = created["createdAt"] if created else now
        record["createdBy"] = created["createdBy"] if created else self.actor
        record["updatedAt"] = now
        record["updatedBy"] = self.actor

    # ---- blueprints -------------------------------------------------------------------

    def blueprint(self, ident: str) -> dict[str, Any]:
        """The stored blueprint or 404."""
        found = self.blueprints.get(ident)
        if found is None:
            raise not_found(f"blueprint {ident!r} was not found")
        return found

    def create_blueprint(self, body: Any) -> dict[str, Any]:
        """``POST /v1/blueprints``: 409 when it exists."""
        stored = validate_blueprint(body, None, self.blueprints)
        if stored["identifier"] in self.blueprints:
            raise ApiError(409, "conflict", f"blueprint {stored['identifier']!r} already exists")
        self._stamp(stored, None)
        self.blueprints[stored["identifier"]] = stored
        self.entities.setdefault(stored["identifier"], {})
        return stored

    def replace_blueprint(self, ident: str, body: Any) -> dict[str, Any]:
        """``PUT /v1/blueprints/{id}``: full replace; values of removed properties/relations are dropped."""
        old = self.blueprint(ident)
        new = validate_blueprint(body, ident, self.blueprints)
        entities = self.entities.get(ident, {})
        for key in format_changes(old, new):
            if any(e["properties"].get(key) is not None for e in entities.values()):
                raise forbidden_format_change(key)
        self._stamp(new, old)
        self.blueprints[ident] = new
        for entity in entities.values():
            entity["properties"] = {
                k: v for k, v in entity["properties"].items() if k in new["schema"]["properties"]
            }
            entity["relations"] = {k: v for k, v in entity["relations"].items() if k in new["relations"]}
        return new

    def patch_blueprint(self, ident: str, body: Any) -> dict[str, Any]:
        """``PATCH /v1/blueprints/{id}``: top-level keys replace, schema properties merge."""
        old = self.blueprint(ident)
        if not isinstance(body, dict):
            raise ApiError(422, "invalid_request", "body must be a JSON object")
        merged = {k: copy.deepcopy(v) for k, v in old.items() if k not in META_KEYS}
        for key, value in body.items():
            if key == "schema" and isinstance(value, dict):
                merged["schema"] = {
                    "properties": {**old["schema"]["properties"], **(value.get("properties") or {})},
                    "required": value.get("required", old["schema"]["required"]),
                }
            else:
                merged[key] = value
        return self.replace_blueprint(ident, merged)

    def delete_blueprint(self, ident: str) -> None:
        """``DELETE /v1/blueprints/{id}``: refused while it has entities or is a relation target."""
        self.blueprint(ident)
        if self.entities.get(ident):
            raise ApiError(
                422, "invalid_request", f"blueprint {ident!r} still has entities; delete them first"
            )
        for other in self.blueprints.values():
            if other["identifier"] != ident and any(
                r["target"] == ident for r in other["relations"].values()
            ):
                raise ApiError(
                    422, "invalid_request", f"blueprint {other['identifier']!r} relates to {ident!r}"
                )
        del self.blueprints[ident]
        self.entities.pop(ident, None)

    # ---- entity writes ----------------------------------------------------------------

    def write_entity(
        self,
        bp: str,
        body: Any,
        *,
        upsert: bool,
        merge: bool,
        create_missing: bool,
        validation_only: bool = False,
    ) -> tuple[dict[str, Any], bool]:
        """Create / upsert / replace / merge one entity; returns (stored entity, created)."""
        blueprint = self.blueprint(bp)
        existing_map = self.entities.setdefault(bp, {})
        candidate = build_candidate(blueprint, body, existing_map, upsert=upsert, merge=merge)
        missing = check_candidate(self, blueprint, candidate, create_missing=create_missing)
        if validation_only:
            return self._public(candidate.entity, bp), candidate.previous is None
        for target_bp, target_id in missing:
            bare = {"identifier": target_id, "team": [], "properties": {}, "relations": {}}
            self._stamp(bare, None)
            self.entities.setdefault(target_bp, {})[target_id] = bare
            self.creations[(target_bp, target_id)] += 1
        return self._commit(bp, candidate)

    def _commit(self, bp: str, candidate: Candidate) -> tuple[dict[str, Any], bool]:
        record = candidate.entity
        self._stamp(record, candidate.previous)
        self.entities[bp][record["identifier"]] = record
        if candidate.previous is None:
            self.creations[(bp, record["identifier"])] += 1
        return self._public(record, bp), candidate.previous is None

    def _public(self, record: dict[str, Any], bp: str) -> dict[str, Any]:
        out = copy.deepcopy(record)
        out["blueprint"] = bp
        return out

    # ---- entity deletes ---------------------------------------------------------------

    def _dependents(self, targets: set[tuple[str, str]]) -> list[tuple[str, str, str, bool, str]]:
        """(blueprint, identifier, relation, required, target id) of entities relating to ``targets``.

        One pass over the entities of each blueprint that has relations into the targets' blueprints.
        """
        by_bp: dict[str, set[str]] = {}
        for bp, ident in targets:
            by_bp.setdefault(bp, set()).add(ident)
        found: list[tuple[str, str, str, bool, str]] = []
        for other_bp, definition in self.blueprints.items():
            relations = [(r_id, r) for r_id, r in definition["relations"].items() if r["target"] in by_bp]
            if not relations:
                continue
            for other_id, entity in self.entities.get(other_bp, {}).items():
                for rel_id, rel in relations:
                    value = entity["relations"].get(rel_id)
                    hits = value if isinstance(value, list) else [value]
                    found.extend(
                        (other_bp, other_id, rel_id, bool(rel["required"]), hit)
                        for hit in hits
                        if isinstance(hit, str) and hit in by_bp[rel["target"]]
                    )
        return found

    def _deletion_set(self, targets: list[tuple[str, str]], delete_dependents: bool) -> set[tuple[str, str]]:
        """Everything that goes when ``targets`` go; raises when required dependents block."""
        doomed = set(targets)
        wave = set(targets)
        while wave:
            following: set[tuple[str, str]] = set()
            for other_bp, other_id, rel_id, required, target in self._dependents(wave):
                if (other_bp, other_id) in doomed:
                    continue
                if delete_dependents:
                    following.add((other_bp, other_id))
                elif required:
                    raise ApiError(
                        422,
                        "has_dependents",
                        f"entity {other_id!r} of {other_bp!r} has a required relation {rel_id!r}"
                        f" to {target!r}; use delete_dependents=true",
                    )
            doomed |= following
            wave = following
        return doomed

    def _remove(self, doomed: set[tuple[str, str]]) -> None:
        for bp, ident in doomed:
            self.entities.get(bp, {}).pop(ident, None)
        for other_bp, other_id, rel_id, _, target in self._dependents(doomed):
            relations = self.entities[other_bp][other_id]["relations"]  # clear references to what is gone
            value = relations.get(rel_id)
            relations[rel_id] = [v for v in value if v != target] if isinstance(value, list) else None

    def delete_entity(self, bp: str, ident: str, *, delete_dependents: bool) -> None:
        """``DELETE .../entities/{id}``: 404 when missing."""
        self.blueprint(bp)
        if ident not in self.entities.get(bp, {}):
            raise not_found(f"entity {ident!r} of blueprint {bp!r} was not found")
        self._remove(self._deletion_set([(bp, ident)], delete_dependents))

    def bulk_delete(self, bp: str, ids: list[str], *, delete_dependents: bool) -> list[str]:
        """All-or-nothing delete of the existing ``ids``; missing ones are skipped."""
        self.blueprint(bp)
        present = [i for i in dict.fromkeys(ids) if i in self.entities.get(bp, {})]
        self._remove(self._deletion_set([(bp, i) for i in present], delete_dependents))
        return present

    def delete_all(self, bp: str) -> None:
        """``DELETE .../all-entities``: refused when another blueprint requires a relation to it."""
        self.blueprint(bp)
        ids = list(self.entities.get(bp, {}))
        self._remove(self._deletion_set([(bp, i) for i in ids], False))

    # ---- reads ------------------------------------------------------------------------

    def entity(self, bp: str, ident: str) -> dict[str, Any]:
        """The public form of one entity, or 404."""
        self.blueprint(bp)
        record = self.entities.get(bp, {}).get(ident)
        if record is None:
            raise not_found(f"entity {ident!r} of blueprint {bp!r} was not found")
        return self._public(record, bp)

    def all_entities(self, bp: str) -> list[dict[str, Any]]:
        """Public forms of every entity of ``bp``, sorted by identifier."""
        self.blueprint(bp)
        return [self._public(self.entities[bp][i], bp) for i in sorted(self.entities.get(bp, {}))]
