"""Load a mapping from a file, a bundled name or text; compiled mappings are cached per process."""

from __future__ import annotations

import threading
from importlib import resources
from pathlib import Path

from jira_port.mapping.config import Format, parse_text, rules_from_document
from jira_port.mapping.evaluate import CompiledMapping
from jira_port.mapping.model import MappingError, MappingProblem

#: Mappings shipped in ``jira_port/data``: name -> file.
BUNDLED_MAPPINGS = {
    "default": "default-mapping.yaml",
    "cloud-guide": "cloud-guide-mapping.json",
    "server-guide": "server-guide-mapping.json",
}
DEFAULT_MAPPING = "default"

_cache: dict[tuple[str, Format | None], CompiledMapping] = {}
_cache_lock = threading.Lock()
_CACHE_SIZE = 16


def load_mapping(source: str | Path | None = None) -> CompiledMapping:
    """Load, validate and compile a mapping.

    ``source``: ``None`` (the bundled default), a bundled name (``default``, ``cloud-guide``,
    ``server-guide``) or a path to a ``.json``, ``.yaml`` or ``.yml`` file. Raises ``MappingError``.
    """
    if source is None or (isinstance(source, str) and source in BUNDLED_MAPPINGS):
        name = DEFAULT_MAPPING if source is None else str(source)
        return load_mapping_text(
            bundled_mapping_text(name), _format_of(BUNDLED_MAPPINGS[name]), f"mapping {name!r}"
        )
    path = Path(source)
    label = f"mapping file {str(path)!r}"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        hint = f" (bundled names: {', '.join(BUNDLED_MAPPINGS)})" if not path.exists() else ""
        raise MappingError([MappingProblem(None, "", f"cannot read it: {reason}{hint}")], label) from None
    return load_mapping_text(text, _format_of(path.name), label)


def load_mapping_text(text: str, fmt: Format | None = None, source: str = "mapping") -> CompiledMapping:
    """Parse (JSON or YAML; ``fmt=None`` detects), validate and compile a mapping given as text."""
    key = (text, fmt)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    compiled = CompiledMapping(rules_from_document(parse_text(text, fmt, source), source), source)
    with _cache_lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = compiled
    return compiled


def bundled_mapping_text(name: str) -> str:
    """The text of a bundled mapping (``default``, ``cloud-guide``, ``server-guide``)."""
    try:
        filename = BUNDLED_MAPPINGS[name]
    except KeyError:
        raise MappingError(
            [MappingProblem(None, "", f"no bundled mapping {name!r} (known: {', '.join(BUNDLED_MAPPINGS)})")]
        ) from None
    return resources.files("jira_port").joinpath("data", filename).read_text(encoding="utf-8")


def _format_of(filename: str) -> Format | None:
    suffix = Path(filename).suffix.lower()
    if suffix == ".json":
        return "json"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    return None
