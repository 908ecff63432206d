"""Load a mapping from a file, a bundled name or text; compiled mappings are cached per process."""

from __future__ import annotations

import json
import threading
from functools import cache
from pathlib import Path
from typing import Any

from jira_port.mapping.bounded import EvaluationLimits
from jira_port.mapping.checks import MappingError, MappingProblem
from jira_port.mapping.config import Format, parse_text, rules_from_document
from jira_port.mapping.evaluate import CompiledMapping, MappingLimitError
from jira_port.mapping.gate import IN_PROCESS_MAX_CHARS
from jira_port.mapping.model import SOURCE_HEADER, FirstProgram, data_text

#: Mappings shipped in ``jira_port/data``: name -> file.
BUNDLED_MAPPINGS = {
    "default": "default-mapping.yaml",
    "cloud-guide": "cloud-guide-mapping.json",
    "server-guide": "server-guide-mapping.json",
}
DEFAULT_MAPPING = "default"
#: The commented YAML of a bundled mapping is loaded from its JSON copy (``make mapping-data`` writes
#: it; a test keeps them equal), so loading the bundled mappings needs no PyYAML import.
_LOADED_FROM = {"default-mapping.yaml": "default-mapping.json"}

#: Real Jira deliveries (issue created/updated/deleted, comment, project) every mapping must map
#: within its bound at load time (``data/sample-events.json``, from tests/fixtures/jira-webhooks).
SAMPLE_EVENTS = "sample-events.json"
_SAMPLE_HEADERS = {SOURCE_HEADER: "webhook"}

_cache: dict[
    tuple[str, Format | None, EvaluationLimits | None, str | None, FirstProgram], CompiledMapping
] = {}
_cache_lock = threading.Lock()
_CACHE_SIZE = 16


def load_mapping(
    source: str | Path | None = None,
    limits: EvaluationLimits | None = EvaluationLimits(),  # noqa: B008 - frozen dataclass
) -> CompiledMapping:
    """Load, validate and compile a mapping, evaluated under ``limits`` (time and memory per event;
    ``None``: in this process, unbounded, for trusted mappings only).

    ``source``: ``None`` (the bundled default), a bundled name (``default``, ``cloud-guide``,
    ``server-guide``) or a path to a ``.json``, ``.yaml`` or ``.yml`` file. Raises ``MappingError``,
    also when the mapping does not map the bundled sample events within ``limits``.
    """
    text, fmt, label = read_local(source)
    return load_mapping_text(text, fmt, label, limits)


def read_local(source: str | Path | None) -> tuple[str, Format | None, str]:
    """The text, format and label of a bundled mapping (``None``: the default) or a mapping file."""
    if source is None or (isinstance(source, str) and source in BUNDLED_MAPPINGS):
        name = DEFAULT_MAPPING if source is None else str(source)
        filename = _LOADED_FROM.get(BUNDLED_MAPPINGS[name], BUNDLED_MAPPINGS[name])
        return data_text(filename), format_of(filename), f"mapping {name!r}"
    path = Path(source)
    label = f"mapping file {str(path)!r}"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        hint = f" (bundled names: {', '.join(BUNDLED_MAPPINGS)})" if not path.exists() else ""
        raise MappingError([MappingProblem(None, "", f"cannot read it: {reason}{hint}")], label) from None
    return text, format_of(path.name), label


def load_mapping_text(
    text: str,
    fmt: Format | None = None,
    source: str = "mapping",
    limits: EvaluationLimits | None = EvaluationLimits(),  # noqa: B008 - frozen dataclass
    *,
    jira_base_url: str | None = None,
    first: FirstProgram = "evaluation",
) -> CompiledMapping:
    """Parse (JSON or YAML; ``fmt=None`` detects), validate and compile a mapping given as text, and
    check that it maps the bundled sample events within ``limits``; ``jira_base_url``: the one its
    events will be evaluated with, and ``first`` the program they run first (the mapping's own, or the
    webhook function's relevance check), compiled here for it rather than at the first event."""
    key = (text, fmt, limits, jira_base_url, first)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    rules = rules_from_document(parse_text(text, fmt, source), source)
    compiled = CompiledMapping(rules, source, limits, text, jira_base_url, first=first)
    if compiled.gate < IN_PROCESS_MAX_CHARS:  # within the gate, in-process, no bound can be passed
        check_sample_events(compiled)
    with _cache_lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = compiled
    return compiled


def check_sample_events(mapping: CompiledMapping) -> None:
    """Raise ``MappingError`` when the mapping passes its bound on one of the bundled sample events."""
    for index, event in enumerate(sample_events()):
        label = f"{event.get('webhookEvent', 'event')} (sample event {index})"
        try:
            mapping.evaluate_detailed(event, _SAMPLE_HEADERS)
        except MappingLimitError as exc:
            problem = MappingProblem(exc.rule, exc.field or "", f"{exc.problem}, on the sample {label}")
            raise MappingError([problem], mapping.source) from None


@cache
def sample_events() -> tuple[dict[str, Any], ...]:
    """The bundled sample deliveries (see ``SAMPLE_EVENTS``)."""
    return tuple(json.loads(data_text(SAMPLE_EVENTS)))


def bundled_mapping_text(name: str) -> str:
    """The text of a bundled mapping (``default``, ``cloud-guide``, ``server-guide``)."""
    try:
        filename = BUNDLED_MAPPINGS[name]
    except KeyError:
        raise MappingError(
            [MappingProblem(None, "", f"no bundled mapping {name!r} (known: {', '.join(BUNDLED_MAPPINGS)})")]
        ) from None
    return data_text(filename)


def format_of(filename: str) -> Format | None:
    """``json`` or ``yaml`` by the file name's suffix; ``None`` (detect) for others."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".json":
        return "json"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    return None
