"""Map a whole Jira search page in one jq run, reading the response bytes as Jira sent them.

The page program takes ``{"t": read time, "s": issues to skip, "p": <search response>}``, builds for
each issue of ``.p.issues[s:]`` the webhook-shaped document the per-event path builds
(``{body: {webhookEvent, timestamp, issue}, headers, queryParams: {}}``) and runs every rule on it
exactly as ``programs.evaluation_program`` does, so per-field semantics are the same (one field's error
nulls only that field, an empty result gives null, only the first output counts). It yields one list of
per-rule raw results per issue; Python decodes only that.

The bound: a page may take the per-event bound once for every ``ISSUES_PER_BOUND`` issues (at least
once). A page that passes it, stops jq (``halt``) or cannot be read is mapped again issue by issue by
the caller, where each event has its own bound and a culprit is named (``MappingLimitError``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from jira_port.mapping import programs
from jira_port.mapping.assemble import rule_actions
from jira_port.mapping.bounded import LimitExceededError
from jira_port.mapping.evaluate import CompiledMapping
from jira_port.mapping.model import MappingResult, MappingWarning, build_document, clean_base_url

#: A page gets the per-event bound once per this many issues: far above what a sane mapping needs
#: (about half a millisecond per issue), small enough that a runaway expression is caught soon.
ISSUES_PER_BOUND = 10


def page_program(mapping: CompiledMapping, webhook_event: str, headers: Mapping[str, str]) -> str:
    """The jq program mapping every issue of a search page as a ``webhook_event`` event with ``headers``."""
    document = build_document(None, headers, None)
    envelope = (
        f'{{"body": {{"webhookEvent": {json.dumps(webhook_event)}, "timestamp": $__jp_page.t, '
        f'"issue": .}}, "headers": {json.dumps(document["headers"])}, "queryParams": {{}}}}'
    )
    rules = ",\n".join(programs.rule_program(r) for r in mapping.rules)
    return (
        programs.PRELUDE
        + f". as $__jp_page | [$__jp_page.p.issues[$__jp_page.s:][] | {envelope} | [{rules}]]"
    )


def evaluate_page(
    mapping: CompiledMapping,
    program: str,
    raw_page: bytes,
    *,
    skip: int,
    count: int,
    read_at_ms: int,
    jira_base_url: str | None,
) -> list[MappingResult] | None:
    """The result of each of the ``count`` issues after the first ``skip`` of the search response
    ``raw_page`` (one jq run), or None when the page must be mapped issue by issue (see module doc)."""
    text = b'{"t":%d,"s":%d,"p":' % (read_at_ms, skip) + raw_page + b"}"
    bound = mapping.limits.timeout_seconds if mapping.limits is not None else float("inf")
    deadline = time.monotonic() + bound * max(1, -(-count // ISSUES_PER_BOUND))
    base = clean_base_url(jira_base_url)
    try:
        out: Any = mapping.first(program, base, text, deadline)
    except (ValueError, StopIteration, LimitExceededError):
        return None
    rules = mapping.rules
    if not isinstance(out, list) or len(out) != count:
        return None
    results = []
    for raws in out:
        if not isinstance(raws, list) or len(raws) != len(rules):
            return None
        warnings: list[MappingWarning] = []
        actions = [
            a for rule, raw in zip(rules, raws, strict=True) for a in rule_actions(rule, raw, warnings)
        ]
        result = MappingResult(actions, warnings)
        results.append(mapping.affixed(result))
    return results
