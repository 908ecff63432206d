"""Large backfills under injected faults end with Port holding exactly the mapped Jira state.

Both flavours: 20,000 issues in 200 projects (Server/Data Center in ``test_volume_server.py``, so a
runner distributing by file runs the two side by side).
Faults: Jira answers 3 % of calls 429 (Retry-After), Port answers 2 % 5xx and 2 % 429, and Port
tokens live 5 seconds, so the client refreshes them many times during the run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from jira_port.backfill.runtime import BackfillRequest
from jira_port_emulators.jira import JiraFaults
from jira_port_emulators.port import PortFaults
from jira_port_tools.summary_text import render_summary
from tests.support.kinds import KIND_BLUEPRINTS

from .conftest import comparable, mapped_jira_state, port_state, sites


def check_faulty_large_backfill(tmp_path: Path, flavour: str, projects: int, issues: int) -> None:
    """Run the faulty backfill and compare Port with the mapped Jira state (shared by both flavours)."""
    jira_faults = JiraFaults(throttle_rate=0.03, retry_after=0.01, seed=5)
    port_faults = PortFaults(error_rate=0.02, throttle_rate=0.02, retry_after=0.01, seed=5)
    with sites(
        tmp_path,
        flavour=flavour,
        projects=projects,
        issues=issues,
        jira_faults=jira_faults,
        port_faults=port_faults,
        token_lifetime=5.0,
    ) as site:
        summary = site.service(page_size=250, partition_concurrency=6).invoke(BackfillRequest("full"))

        assert summary.status == "succeeded", render_summary(summary)
        assert summary.issues == issues and summary.projects == projects
        assert summary.totals.rejected == 0 and summary.totals.retried > 0
        assert jira_faults.throttled > 0
        assert site.port.request_count(status=503) + site.port.request_count(status=500) > 0
        assert site.port.request_count(status=429) > 0
        assert site.port.request_count(path="/v1/auth/access_token", status=200) > 1  # tokens expired

        site.jira.faults.update(throttle_rate=0.0)
        expected = comparable(mapped_jira_state(site))
        counts = {bp: len(e) for bp, e in expected.items()}  # the default mapping maps every kind too
        assert (counts.pop("jiraIssue"), counts.pop("jiraProject")) == (issues, projects)
        assert set(counts) == set(KIND_BLUEPRINTS) and min(counts.values()) > 0, counts
        assert port_state(site, sorted(expected)) == expected
        assert max(site.port.creation_count(bp, i) for bp, ents in expected.items() for i in ents) == 1


@pytest.mark.slow
def test_a_faulty_cloud_backfill_of_20000_issues_leaves_exactly_the_mapped_jira_state(tmp_path: Path) -> None:
    check_faulty_large_backfill(tmp_path, "cloud", 200, 20_000)
