"""Which mapping the Lambdas and the CLI use: ``MAPPING_CONFIG`` (inline) or ``MAPPING_SOURCE``."""

from __future__ import annotations

from dataclasses import dataclass, replace

from jira_port.mapping import CompiledMapping, load_mapping_text
from jira_port.mapping.bounded import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_SECONDS, EvaluationLimits
from jira_port.mapping.model import FirstProgram
from jira_port.mapping.source import MappingProvider, SourceReader, SourceText, is_remote
from jira_port.settings.common import EnvModel, env

DEFAULT_REFRESH_SECONDS = 60.0


def _identifier_chars(value: str) -> str:
    """Port identifiers allow letters, digits and ``@ _ . + : \\ / = -`` only."""
    if any(not (c.isalpha() or c in "0123456789@_.+:\\/=-") for c in value):
        raise ValueError("may only hold letters, digits and @ _ . + : \\ / = - (Port's identifier rule)")
    return value


@dataclass(frozen=True, kw_only=True)
class MappingSettings(EnvModel):
    """``MAPPING_CONFIG`` (JSON or YAML text) wins over ``MAPPING_SOURCE`` (``MAPPING_FILE``, its older
    name, is read when it is unset): a bundled name (``default``, ``cloud-guide``, ``server-guide``), a
    file path, ``s3://bucket/key`` or ``port:<webhook identifier>`` (see ``jira_port.mapping.source``).
    Neither set: the bundled default.

    ``MAPPING_REFRESH_SECONDS`` is how often a warm function re-reads an S3 or Port source.

    ``MAPPING_IDENTIFIER_PREFIX`` / ``_SUFFIX`` affix every identifier the mapping writes (one value per
    Jira site when several sites share one Port; see ``jira_port.mapping.site``).

    ``MAPPING_TIMEOUT_SECONDS`` and ``MAPPING_MEMORY_MB`` bound the evaluation of one event (the jq
    worker's time and address space); an event past them fails alone (retried, then dead-lettered).
    """

    mapping_source: str | None = env("MAPPING_SOURCE", None)
    mapping_file: str | None = env("MAPPING_FILE", None)
    mapping_config: str | None = env("MAPPING_CONFIG", None)
    refresh_seconds: float = env("MAPPING_REFRESH_SECONDS", DEFAULT_REFRESH_SECONDS, ge=0, le=86_400)
    identifier_prefix: str = env("MAPPING_IDENTIFIER_PREFIX", "", max_length=100, check=_identifier_chars)
    identifier_suffix: str = env("MAPPING_IDENTIFIER_SUFFIX", "", max_length=100, check=_identifier_chars)
    evaluation_timeout_seconds: float = env(
        "MAPPING_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS, ge=0.05, le=60
    )
    evaluation_memory_mb: int = env("MAPPING_MEMORY_MB", DEFAULT_MEMORY_MB, ge=64, le=10_240)

    def with_source(self, source: str | None) -> MappingSettings:
        """These settings with ``source`` chosen (a CLI's ``--mapping``), winning over ``MAPPING_CONFIG``;
        ``None`` changes nothing."""
        if not source:
            return self
        return replace(self, mapping_source=source, mapping_file=None, mapping_config=None)

    @property
    def source(self) -> str | None:
        """``MAPPING_SOURCE``, else ``MAPPING_FILE``; ``None``: the bundled default."""
        return self.mapping_source or self.mapping_file

    @property
    def limits(self) -> EvaluationLimits:
        """The evaluation bound per event."""
        return EvaluationLimits(self.evaluation_timeout_seconds, self.evaluation_memory_mb)

    @property
    def description(self) -> str:
        """Where the mapping comes from, for logs and ``doctor`` (never the inline text itself)."""
        if self.mapping_config:
            return "MAPPING_CONFIG (inline)"
        return f"MAPPING_SOURCE={self.source}" if self.source else "bundled default mapping"


def mapping_provider(
    settings: MappingSettings | None = None,
    *,
    jira_base_url: str | None = None,
    first: FirstProgram = "evaluation",
) -> MappingProvider:
    """The configured mapping behind a provider: remote sources (S3, Port) are re-read every
    ``MAPPING_REFRESH_SECONDS``, keeping the last good mapping. Raises ``MappingError`` (a
    ``ConfigError``) when no good mapping can be had now. ``jira_base_url`` and ``first``: the one events
    will be evaluated with and the program they run first (compiled for it as each mapping loads)."""
    settings = settings if settings is not None else MappingSettings.from_env()

    def compile_text(fetched: SourceText) -> CompiledMapping:
        mapping = load_mapping_text(
            fetched.text,
            fetched.fmt,
            fetched.label,
            settings.limits,
            jira_base_url=jira_base_url,
            first=first,
        )
        if settings.identifier_prefix or settings.identifier_suffix:
            return mapping.for_site(settings.identifier_prefix, settings.identifier_suffix)
        return mapping

    if settings.mapping_config:
        inline = SourceText(settings.mapping_config, None, "MAPPING_CONFIG")
        return MappingProvider(lambda: inline, compile_text)
    remote = is_remote(settings.source)
    return MappingProvider(
        SourceReader(settings.source),
        compile_text,
        refresh_seconds=settings.refresh_seconds if remote else None,
    )


def load_configured_mapping(settings: MappingSettings | None = None) -> CompiledMapping:
    """The configured mapping as it is now (raises ``MappingError`` when invalid or unreadable)."""
    provider = mapping_provider(settings)
    try:
        return provider.current()
    finally:
        provider.close()
