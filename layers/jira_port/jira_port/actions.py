"""Port actions: the pure output of the mapping layer and the input of the apply step."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Operation = Literal["upsert", "delete"]


@dataclass(frozen=True, slots=True)
class Action:
    """One write to Port: upsert an entity, or delete it by identifier.

    ``entity`` holds ``identifier`` and, for upserts, ``title``, ``properties``, ``relations`` and
    optionally ``icon`` and ``team`` exactly as the mapping produced them. ``rule`` is the index of
    the mapping rule that produced the action (for logs and error reports).
    """

    operation: Operation
    blueprint: str
    entity: dict[str, Any]
    delete_dependents: bool | None = None
    rule: int = field(default=0, compare=False)

    @property
    def identifier(self) -> str:
        """The entity identifier (always a non-empty string; the mapping drops the rest)."""
        return str(self.entity["identifier"])

    def to_json(self) -> dict[str, Any]:
        """The CLI / dry-run representation: ``{operation, blueprint, entity, deleteDependents?}``."""
        out: dict[str, Any] = {
            "operation": self.operation,
            "blueprint": self.blueprint,
            "entity": self.entity,
        }
        if self.operation == "delete" and self.delete_dependents is not None:
            out["deleteDependents"] = self.delete_dependents
        return out
