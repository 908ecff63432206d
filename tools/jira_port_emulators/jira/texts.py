"""Issue texts derived from the seed (summary, wiki-markup description) and their ADF form (REST v3)."""

from __future__ import annotations

from typing import Any

from jira_port_emulators.jira import catalog
from jira_port_emulators.jira.model import Issue, mix
from jira_port_emulators.jira.shapes import Shapes


def summary_of(shapes: Shapes, issue: Issue) -> str:
    if issue.overrides and "summary" in issue.overrides:
        return str(issue.overrides["summary"])
    h = mix(shapes.ds.seed, issue.id, 1)
    noun = catalog.NOUNS[(h >> 8) % len(catalog.NOUNS)]
    if issue.type_id == catalog.EPIC.id:
        return f"{noun[0].upper()}{noun[1:]} overhaul"
    return f"{catalog.VERBS[h % len(catalog.VERBS)]} {noun}"


def description_of(shapes: Shapes, issue: Issue) -> str | None:
    if issue.overrides and "description" in issue.overrides:
        value = issue.overrides["description"]
        return None if value is None else str(value)
    h = mix(shapes.ds.seed, issue.id, 2)
    if h % 7 == 0:
        return None
    noun = catalog.NOUNS[(h >> 8) % len(catalog.NOUNS)]
    label = catalog.LABELS[(h >> 16) % len(catalog.LABELS)]
    return (
        f"h3. Context\nThe *{noun}* needs attention before the {label} review.\n\n"
        f"* Acceptance: {noun} is covered by tests\n* Rollout: behind a flag"
    )


def to_adf(text: str | None) -> dict[str, Any] | None:
    """A wiki string as a minimal Atlassian Document Format document (REST v3)."""
    if text is None:
        return None
    paragraphs = [line for line in text.split("\n") if line.strip()]
    content = [{"type": "paragraph", "content": [{"type": "text", "text": line}]} for line in paragraphs]
    return {"type": "doc", "version": 1, "content": content}
