"""Port Ocean's way of mapping, for comparison: every jq expression compiled and run on its own."""

from __future__ import annotations

from typing import Any

import jq

from jira_port.mapping import CompiledMapping

BASE_URL = "https://acme.atlassian.net"

# Ocean's default Jira issue mapping (integrations/jira/.port/resources/port-app-config.yaml) in Port's
# webhook format: 17 entity expressions plus the selector query "true" = 18 jq expressions per issue.
OCEAN_LIKE = [
    {
        "blueprint": "jiraIssue",
        "filter": "true",
        "entity": {
            "identifier": ".body.issue.key",
            "title": ".body.issue.fields.summary",
            "properties": {
                "url": '(.body.issue.self | split("/") | .[:3] | join("/")) + "/browse/" + .body.issue.key',
                "status": ".body.issue.fields.status.name",
                "issueType": ".body.issue.fields.issuetype.name",
                "components": ".body.issue.fields.components",
                "creator": ".body.issue.fields.creator.emailAddress",
                "priority": ".body.issue.fields.priority.name",
                "labels": ".body.issue.fields.labels",
                "created": ".body.issue.fields.created",
                "updated": ".body.issue.fields.updated",
                "resolutionDate": ".body.issue.fields.resolutiondate",
            },
            "relations": {
                "project": ".body.issue.fields.project.key",
                "parentIssue": ".body.issue.fields.parent.key",
                "subtasks": ".body.issue.fields.subtasks | map(.key)",
                "assignee": ".body.issue.fields.assignee.accountId",
                "reporter": ".body.issue.fields.reporter.accountId",
            },
        },
    }
]


class PerField:
    """Ocean's way: each expression compiled on its own, run on the whole event with a fresh input.

    Like Ocean's ``JQEntityProcessor``: ``compiled.input_value(data).first()`` per field (the event is
    re-serialised for every field), errors and no output become null; a rule's fields are evaluated
    only when its filter returned true.
    """

    def __init__(self, mapping: CompiledMapping) -> None:
        def compiled(program: str) -> Any:
            return jq.compile(program, args={"jira_base_url": BASE_URL})

        self.rules = [
            (
                compiled(rule.filter.program) if rule.filter else None,
                [(f.path, compiled(f.program)) for f in rule.fields],
            )
            for rule in mapping.rules
        ]

    def evaluate(self, document: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for filter_program, fields in self.rules:
            if filter_program is not None and _first(filter_program, document) is not True:
                continue
            out.append({path: _first(program, document) for path, program in fields})
        return out

    def expressions_run(self, document: dict[str, Any]) -> int:
        """How many jq runs ``evaluate`` makes for this event."""
        runs = 0
        for filter_program, fields in self.rules:
            runs += filter_program is not None
            if filter_program is None or _first(filter_program, document) is True:
                runs += len(fields)
        return runs


def _first(program: Any, document: dict[str, Any]) -> Any:
    try:
        return program.input_value(document).first()
    except (ValueError, StopIteration):
        return None
