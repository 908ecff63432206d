"""Port webhook-mapping configs: load and validate, compile to jq, evaluate events into Port actions.

    from jira_port.mapping import load_mapping
    mapping = load_mapping(None)                      # the bundled default
    actions = mapping.evaluate(body, headers, jira_base_url="https://acme.atlassian.net")

The config format is exactly Port's (a list of rules, or Port's webhook object with ``mappings``);
see docs/mapping.md.
"""

from jira_port.mapping.checks import MappingError, MappingProblem
from jira_port.mapping.evaluate import CompiledMapping
from jira_port.mapping.load import (
    BUNDLED_MAPPINGS,
    DEFAULT_MAPPING,
    bundled_mapping_text,
    load_mapping,
    load_mapping_text,
)
from jira_port.mapping.model import (
    MAX_ITEMS_PER_EVENT,
    SENSITIVE_HEADERS,
    SOURCE_HEADER,
    MappingResult,
    MappingWarning,
)
from jira_port.mapping.quotes import format_filter

__all__ = [
    "BUNDLED_MAPPINGS",
    "DEFAULT_MAPPING",
    "MAX_ITEMS_PER_EVENT",
    "SENSITIVE_HEADERS",
    "SOURCE_HEADER",
    "CompiledMapping",
    "MappingError",
    "MappingProblem",
    "MappingResult",
    "MappingWarning",
    "bundled_mapping_text",
    "format_filter",
    "load_mapping",
    "load_mapping_text",
]
