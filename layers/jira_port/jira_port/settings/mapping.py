"""Which mapping the Lambdas and the CLI use: ``MAPPING_CONFIG`` (inline) or ``MAPPING_FILE``."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from jira_port.mapping import CompiledMapping, load_mapping, load_mapping_text
from jira_port.mapping.bounded import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_SECONDS, EvaluationLimits
from jira_port.settings.common import EnvModel


class MappingSettings(EnvModel):
    """``MAPPING_CONFIG`` (JSON or YAML text) wins over ``MAPPING_FILE`` (a path, or a bundled name:
    ``default``, ``cloud-guide``, ``server-guide``). Neither set: the bundled default mapping.

    ``MAPPING_TIMEOUT_SECONDS`` and ``MAPPING_MEMORY_MB`` bound the evaluation of one event (the jq
    worker's time and address space); an event past them fails alone (retried, then dead-lettered).
    """

    mapping_file: str | None = Field(default=None, alias="MAPPING_FILE")
    mapping_config: str | None = Field(default=None, alias="MAPPING_CONFIG")
    timeout_seconds: float = Field(DEFAULT_TIMEOUT_SECONDS, ge=0.05, le=60, alias="MAPPING_TIMEOUT_SECONDS")
    memory_mb: int = Field(DEFAULT_MEMORY_MB, ge=64, le=10_240, alias="MAPPING_MEMORY_MB")

    @property
    def limits(self) -> EvaluationLimits:
        """The evaluation bound per event."""
        return EvaluationLimits(self.timeout_seconds, self.memory_mb)

    @property
    def description(self) -> str:
        """Where the mapping comes from, for logs and ``doctor`` (never the inline text itself)."""
        if self.mapping_config:
            return "MAPPING_CONFIG (inline)"
        return f"MAPPING_FILE={self.mapping_file}" if self.mapping_file else "bundled default mapping"


def load_configured_mapping(settings: MappingSettings | None = None) -> CompiledMapping:
    """The configured mapping, compiled once per process (raises ``MappingError`` when invalid)."""
    settings = settings if settings is not None else MappingSettings.from_env()
    return _load(settings.mapping_file, settings.mapping_config, settings.limits)


@lru_cache(maxsize=8)
def _load(mapping_file: str | None, mapping_config: str | None, limits: EvaluationLimits) -> CompiledMapping:
    if mapping_config:
        return load_mapping_text(mapping_config, source="MAPPING_CONFIG", limits=limits)
    return load_mapping(mapping_file, limits)
