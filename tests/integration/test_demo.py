"""``jira-port demo`` end to end (in-process, small datasets): what it prints, what it verifies, and that
it leaves nothing behind (threads, listening ports, environment variables, temporary files), also when a
step fails or the run is interrupted."""

from __future__ import annotations

import importlib.util
import io
import os
import re
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from jira_port_emulators.jira import JiraEmulator, generate_dataset
from jira_port_emulators.port import PortEmulator
from jira_port_tools.cli import _demo_sites as sites
from jira_port_tools.cli import _demo_steps as demo_steps
from jira_port_tools.cli import main
from jira_port_tools.cli._demo_live import UPDATED_STATUS, UPDATED_SUMMARY, deletable_issue
from jira_port_tools.cli._demo_output import Steps
from jira_port_tools.cli._demo_steps import DemoOptions
from jira_port_tools.cli._demo_verify import compare, differences
from jira_port_tools.cli.demo import run_demo
from tests.support.kinds import KIND_BLUEPRINTS

SMALL = ["--projects", "3", "--issues", "60"]
URL = re.compile(r"http://127\.0\.0\.1:(\d+)")


def environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}


def demo_temp_dirs() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("jira-port-demo-*"))


@dataclass
class Leftovers:
    """What exists before a run, to show afterwards that the run added nothing."""

    threads: set[threading.Thread] = field(default_factory=lambda: set(threading.enumerate()))
    environ: dict[str, str] = field(default_factory=environ)
    temp_dirs: set[Path] = field(default_factory=demo_temp_dirs)

    def assert_clean(self, output: str) -> None:
        # Threads end once their connections close, which may trail the servers' shutdown a little.
        deadline = time.monotonic() + 10
        while (extra := self.new_threads()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not extra, f"threads left running: {[t.name for t in extra]}"
        for port in {int(p) for p in URL.findall(output)}:
            with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
                probe.connect(("127.0.0.1", port))
        assert environ() == self.environ
        assert demo_temp_dirs() == self.temp_dirs

    def new_threads(self) -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t not in self.threads and t.is_alive()]


@pytest.fixture
def leftovers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Leftovers]:
    # A user's real settings must neither change the demo nor be lost by it.
    monkeypatch.setenv("JIRA_BASE_URL", "https://real-site.atlassian.net")
    monkeypatch.setenv("PORT_CREDENTIALS_SECRET_ARN", "arn:aws:secretsmanager:eu-west-1:1:secret:real")
    monkeypatch.setenv("JIRA_JQL", "project = NOPE")
    yield Leftovers()


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> list[sites.Credentials]:
    """The credentials each run generates (to show that none of their secrets is printed)."""
    made: list[sites.Credentials] = []
    generate = sites.Credentials.generate.__func__  # type: ignore[attr-defined]

    def recording(cls: type[sites.Credentials], flavour: str) -> sites.Credentials:
        made.append(generate(cls, flavour))
        return made[-1]

    monkeypatch.setattr(sites.Credentials, "generate", classmethod(recording))
    return made


def rows(output: str) -> list[list[str]]:
    """Table rows of the output, split on runs of two or more spaces."""
    return [re.split(r"\s{2,}", line.strip()) for line in output.splitlines() if line.startswith("    ")]


def test_demo_runs_the_whole_product_and_leaves_nothing_behind(
    leftovers: Leftovers, credentials: list[sites.Credentials], capsys: pytest.CaptureFixture[str]
) -> None:
    # When the demo runs on a small generated Jira
    code = main(["demo", *SMALL])
    out, err = capsys.readouterr()
    # Then it succeeds, and says so with the backfilled counts equal to the dataset
    assert code == 0, err
    summary = re.search(
        r"^demo OK: backfilled 60 issues \+ 3 projects in [\d.]+ s; 9 live events -> Port in [\d.]+ s; "
        r"Port matches Jira \((\d+) entities\)$",
        out,
        re.MULTILINE,
    )
    assert summary, out
    assert [f"{n}/6" for n in range(1, 7)] == re.findall(r"^(\d/6) ", out, re.MULTILINE)
    table = rows(out)
    # Port holds the live-created issue with its edited summary and status; the deleted issue and the
    # created-then-deleted project are gone
    created = next(r for r in table if r[0] == "issue_created + issue_updated")
    assert created[1] == "jiraIssue" and created[3] == UPDATED_SUMMARY
    assert f"status={UPDATED_STATUS}" in created[4] and re.match(r"project=[A-Z]+(, |$)", created[5])
    dataset = generate_dataset(3, 60, flavour="cloud", seed=1)
    keys = {issue_key(dataset, i) for i in dataset.issues}
    assert created[2] not in keys
    deleted = next(r for r in table if r[0] == "issue_deleted")
    assert deleted[1] == "jiraIssue" and deleted[3] == "(not in Port: deleted)" and deleted[2] in keys
    project = next(r for r in table if r[0] == "project_created + project_deleted")
    assert project[1] == "jiraProject" and project[3] == "(not in Port: deleted)"
    assert project[2] not in {p.key for p in dataset.projects.values()}
    # A sprint created then started, and a version created then released (named by its project id only),
    # arrived live
    sprint = next(r for r in table if r[0] == "sprint_created + sprint_started")
    assert (sprint[1], sprint[3], sprint[4]) == ("jiraSprint", "Demo sprint", "state=active")
    assert re.fullmatch(r"board=\d+", sprint[5]) and sprint[2] not in {str(i) for i in dataset.kinds.sprints}
    version = next(r for r in table if r[0] == "jira:version_created + jira:version_released")
    assert version[1] == "jiraVersion" and version[3] == "Demo 1.0" and version[4] == "released=True"
    assert version[5] == f"project={deleted[2].split('-')[0]}"
    # and the closing comparison found Port equal to Jira, blueprint by blueprint, for every kind
    assert ["jiraProject", "3", "3", "none"] in table
    assert ["jiraIssue", "60", "60", "none"] in table
    compared = {r[0]: r[1:] for r in table if len(r) == 4 and r[0].startswith("jira") and r[3] == "none"}
    assert set(compared) == {"jiraProject", "jiraIssue", *KIND_BLUEPRINTS}
    assert all(jira == port for jira, port, _ in compared.values())
    assert int(summary.group(1)) == sum(int(jira) for jira, _, _ in compared.values())
    # No secret reaches the output; everything started is stopped, the environment is as it was
    secrets = [credentials[0].jira_secret, credentials[0].port_client_secret, credentials[0].webhook_secret]
    assert not [s for s in secrets if s in out + err]
    leftovers.assert_clean(out)


def issue_key(dataset: Any, issue_id: int) -> str:
    issue = dataset.issues[issue_id]
    return f"{dataset.projects[issue.project_id].key}-{issue.number}"


def test_report_of_a_server_flavour_run(leftovers: Leftovers) -> None:
    out = io.StringIO()
    report = run_demo(DemoOptions(projects=2, issues=40, flavour="server", seed=7), Steps(6, out))
    assert report.backfill is not None and report.live is not None
    assert (report.backfill.projects, report.backfill.issues, report.backfill.totals.rejected) == (2, 40, 0)
    assert [len(d.attempts) for d in report.live.deliveries] == [1] * 9
    assert all(d.attempts[0].status == 202 for d in report.live.deliveries)
    created, deleted, project, sprint, version = report.live.touched
    assert sprint.held is not None and sprint.held["properties"]["state"] == "active"
    assert version.held is not None and version.held["properties"]["released"] is True
    assert version.held["relations"]["project"] == deleted.identifier.split("-")[0]
    assert created.held is not None and created.held["title"] == UPDATED_SUMMARY
    assert created.held["properties"]["lastChangeType"]  # written by the live rule, not the backfill
    assert deleted.held is None and project.held is None
    checks = {c.blueprint: (c.in_jira, c.in_port, c.ok) for c in report.checks}
    assert (checks.pop("jiraProject"), checks.pop("jiraIssue")) == ((2, 2, True), (40, 40, True))
    assert set(checks) == set(KIND_BLUEPRINTS)
    assert all(in_jira == in_port > 0 and ok for in_jira, in_port, ok in checks.values())
    assert report.summary in out.getvalue()
    leftovers.assert_clean(out.getvalue())


def wrap(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, before: Callable[..., None]) -> None:
    original = getattr(owner, name)

    def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
        before(self, *args, **kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(owner, name, wrapped)


def test_a_port_that_differs_from_jira_fails_the_demo(
    leftovers: Leftovers, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a stray issue in Port that Jira does not have, appearing just before the final check
    def stray(demo: Any, port: PortEmulator) -> None:
        port.add_entity("jiraIssue", {"identifier": "GHOST-1", "title": "not in Jira", "properties": {}})

    wrap(monkeypatch, demo_steps.Demo, "_verify", stray)
    # When the demo runs, then it fails at the comparison, naming the difference, and still cleans up
    assert main(["demo", *SMALL]) == 1
    out, err = capsys.readouterr()
    assert "demo FAILED at step 6/6 (Port vs Jira): Port differs from Jira" in err
    assert ["jiraIssue", "60", "61", "1 extra (GHOST-1)"] in rows(out)
    assert "demo OK" not in out
    leftovers.assert_clean(out)


def test_ctrl_c_stops_everything(
    leftovers: Leftovers, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupt(jira: JiraEmulator, *args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    wrap(monkeypatch, JiraEmulator, "delete_project", interrupt)
    assert main(["demo", *SMALL]) == 130
    out, err = capsys.readouterr()
    assert "demo interrupted at step 5/6 (live events); everything it started is stopped" in err
    leftovers.assert_clean(out)


def test_bad_options_and_missing_emulators_are_usage_errors(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--issues", "0"]) == 2
    assert "--projects and --issues must be at least 1" in capsys.readouterr().err
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "jira_port_emulators" else real(name)
    )
    assert main(["demo"]) == 2
    assert "needs the local Jira and Port emulators" in capsys.readouterr().err


def test_comparison_rules() -> None:
    mapped: dict[str, Any] = {
        "identifier": "A-1",
        "title": "t",
        "properties": {"status": "Done", "labels": []},
        "relations": {"project": "A", "parentIssue": None},
    }
    live = {**mapped, "properties": {**mapped["properties"], "lastChangeType": "issue_generic"}}
    assert differences(mapped, live) == []  # properties only a live event writes are not compared
    assert differences(mapped, {**live, "title": "x", "relations": {"project": "B"}}) == [
        "title",
        "relations.project",
    ]
    checks = compare({"jiraIssue": {"A-1": mapped, "A-2": mapped}}, {"jiraIssue": {"A-1": live, "A-3": live}})
    assert (checks[0].missing, checks[0].extra, checks[0].ok) == (["A-2"], ["A-3"], False)
    assert checks[0].describe() == "1 missing (A-2); 1 extra (A-3)"


def test_the_deleted_issue_is_one_nothing_refers_to() -> None:
    issues: dict[str, dict[str, Any]] = {
        "A-1": {"relations": {"parentIssue": None, "subtasks": ["A-2"]}},  # has a sub-task
        "A-2": {"relations": {"parentIssue": "A-1", "subtasks": []}},  # listed by its parent
        "A-3": {"relations": {"parentIssue": None, "subtasks": []}},  # an epic with a child
        "A-10": {"relations": {"parentIssue": "A-3", "subtasks": []}},  # nobody refers to it
        "A-11": {"relations": {"parentIssue": None, "subtasks": []}},
    }
    assert deletable_issue(issues) == "A-10"
