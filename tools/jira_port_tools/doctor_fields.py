"""doctor's custom-field check: every ``customfield_NNNNN`` the mapping names exists in Jira.

Custom field ids differ per site (story points are ``customfield_10016`` on one site and
``customfield_10026`` on another). An expression naming a field the site lacks maps ``null`` forever,
without an error, so the check compares the mapping's names with Jira's ``GET /rest/api/2/field``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jira_port.jira import JiraClient
    from jira_port.mapping import CompiledMapping
    from jira_port_tools.doctor_report import Report

CUSTOM_FIELD = re.compile(r"\bcustomfield_\d+\b")


def named_custom_fields(mapping: CompiledMapping) -> dict[str, list[str]]:
    """Custom field id -> where the mapping names it (``rule 0 (jiraIssue) entity.properties.x``)."""
    named: dict[str, list[str]] = {}
    for rule in mapping.rules:
        for jq_field in (rule.filter, rule.items, *rule.fields):
            if jq_field is None:
                continue
            for name in sorted(set(CUSTOM_FIELD.findall(jq_field.expression))):
                named.setdefault(name, []).append(f"{rule.label} {jq_field.path}")
    return named


def site_field_ids(listed: Any) -> set[str]:
    """The field ids of a ``/rest/api/2/field`` answer."""
    return (
        {str(f["id"]) for f in listed if isinstance(f, dict) and "id" in f}
        if isinstance(listed, list)
        else set()
    )


def check_fields(report: Report, jira: JiraClient | None, mapping: CompiledMapping | None) -> None:
    """The check, skipped without Jira or a mapping; a failed request is a failed line."""
    if jira is None or mapping is None:
        report.add("custom fields", "skip", "Jira not reachable" if jira is None else "no mapping")
        return
    report.attempt(
        "custom fields", "check the Jira credentials", lambda: check_custom_fields(report, jira, mapping)
    )


def check_custom_fields(report: Report, jira: JiraClient, mapping: CompiledMapping) -> None:
    """One line: ok when every named custom field exists, else a warning per missing field."""
    named = named_custom_fields(mapping)
    if not named:
        report.add("custom fields", "ok", "the mapping names no custom field")
        return
    report.begin("custom fields")
    known = site_field_ids(jira.request("GET", "/rest/api/2/field"))
    missing = {name: where for name, where in named.items() if name not in known}
    present = sorted(set(named) - set(missing))
    if present:
        report.add("custom fields", "ok", f"{', '.join(present)} exist in Jira")
    for name, where in sorted(missing.items()):
        report.add(
            f"custom field {name}",
            "warn",
            f"named by {'; '.join(where)} but absent from Jira's field list (it would map null)",
            "look the field up by name in GET /rest/api/2/field and use its id (fields the Jira user cannot "
            "see are not listed)",
        )
