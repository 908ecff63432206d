"""Which mapping the Lambdas and the CLI use: ``MAPPING_CONFIG`` (inline) or ``MAPPING_FILE``."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, field_validator

from jira_port.mapping import CompiledMapping, load_mapping, load_mapping_text
from jira_port.mapping.bounded import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_SECONDS, EvaluationLimits
from jira_port.settings.common import EnvModel


class MappingSettings(EnvModel):
    """``MAPPING_CONFIG`` (JSON or YAML text) wins over ``MAPPING_FILE`` (a path, or a bundled name:
    ``default``, ``cloud-guide``, ``server-guide``). Neither set: the bundled default mapping.

    ``MAPPING_IDENTIFIER_PREFIX`` / ``_SUFFIX`` affix every identifier the mapping writes (one value per
    Jira site when several sites share one Port; see ``jira_port.mapping.site``).

    ``MAPPING_TIMEOUT_SECONDS`` and ``MAPPING_MEMORY_MB`` bound the evaluation of one event (the jq
    worker's time and address space); an event past them fails alone (retried, then dead-lettered).
    """

    mapping_file: str | None = Field(default=None, alias="MAPPING_FILE")
    mapping_config: str | None = Field(default=None, alias="MAPPING_CONFIG")
    identifier_prefix: str = Field(default="", alias="MAPPING_IDENTIFIER_PREFIX", max_length=100)
    identifier_suffix: str = Field(default="", alias="MAPPING_IDENTIFIER_SUFFIX", max_length=100)
    timeout_seconds: float = Field(DEFAULT_TIMEOUT_SECONDS, ge=0.05, le=60, alias="MAPPING_TIMEOUT_SECONDS")
    memory_mb: int = Field(DEFAULT_MEMORY_MB, ge=64, le=10_240, alias="MAPPING_MEMORY_MB")

    @field_validator("identifier_prefix", "identifier_suffix")
    @classmethod
    def _identifier_chars(cls, value: str) -> str:
        """Port identifiers allow letters, digits and ``@ _ . + : \\ / = -`` only."""
        if any(not (c.isalpha() or c in "0123456789@_.+:\\/=-") for c in value):
            raise ValueError("may only hold letters, digits and @ _ . + : \\ / = - (Port's identifier rule)")
        return value

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
    return _load(
        settings.mapping_file,
        settings.mapping_config,
        settings.identifier_prefix,
        settings.identifier_suffix,
        settings.limits,
    )


@lru_cache(maxsize=8)
def _load(
    mapping_file: str | None, mapping_config: str | None, prefix: str, suffix: str, limits: EvaluationLimits
) -> CompiledMapping:
    if mapping_config:
        mapping = load_mapping_text(mapping_config, source="MAPPING_CONFIG", limits=limits)
    else:
        mapping = load_mapping(mapping_file, limits)
    if prefix or suffix:
        from jira_port.mapping.site import SiteMapping  # noqa: PLC0415

        return SiteMapping(mapping, prefix, suffix)
    return mapping
