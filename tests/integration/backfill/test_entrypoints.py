"""``jira-port backfill`` and the Lambda handler, wired from the environment, on the local Jira and Port."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from jira_port.live.guard import VersionGuard
from jira_port_tools.backfill_local import RecordingContinuation, build_local
from jira_port_tools.cli import main
from jira_port_tools.state_file import FileTable
from tests.support.aws import create_state_table, use_fake_aws
from tests.support.kinds import KIND_BLUEPRINTS
from tests.support.lambda_env import FakeLambdaContext, reload_handler

from .conftest import Sites, mapped_jira_state, sites, strict_blueprints
from .test_runs import FULL, CountingJira

TABLE = "jira-port-state"
CLEARED = (
    "STATE_TABLE",
    "JIRA_JQL",
    "JIRA_EMAIL",
    "JIRA_API_TOKEN",
    "JIRA_PAT",
    "JIRA_USERNAME",
    "JIRA_PASSWORD",
    "JIRA_CREDENTIALS_SECRET_ARN",
    "PORT_CREDENTIALS_SECRET_ARN",
    "MAPPING_FILE",
    "MAPPING_SOURCE",
    "MAPPING_REFRESH_SECONDS",
    "MAPPING_CONFIG",
    "AWS_LAMBDA_FUNCTION_NAME",
    "JIRA_PAGE_SIZE",
)


def use_env(monkeypatch: pytest.MonkeyPatch, site: Sites, **extra: str) -> None:
    for name in CLEARED:
        monkeypatch.delenv(name, raising=False)
    for name, value in {**site.env, **extra}.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Sites]:
    with sites(tmp_path, projects=5, issues=250) as running:
        yield running


def test_cli_runs_a_full_backfill_with_a_progress_bar(
    site: Sites, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_env(monkeypatch, site)

    code = main(["backfill", "--state", str(tmp_path / "s.json"), "--progress"])

    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "backfill full run" in out and ": OK" in out and "250 issues" in out
    assert "partitions 5/5" in err and "issues" in err
    assert len(site.port.entities("jiraIssue")) == 250


def test_cli_resumes_a_run_that_crashed(
    site: Sites, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "s.json"
    crashing = CountingJira(site.jira_client(), crash_after=2)
    with pytest.raises(RuntimeError):
        site.service(table=FileTable(state), jira=crashing, page_size=25).invoke(FULL)
    use_env(monkeypatch, site, JIRA_PAGE_SIZE="25")

    code = main(["backfill", "--state", str(state), "--json"])

    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and summary["ok"] is True and summary["invocations"] == 2
    assert summary["issues"] == 250 and summary["runId"]
    assert len(site.port.entities("jiraIssue")) == 250


def test_cli_dry_run_prints_actions_and_writes_nothing(
    site: Sites, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_env(monkeypatch, site)
    for name in ("PORT_API_URL", "PORT_CLIENT_ID", "PORT_CLIENT_SECRET"):
        monkeypatch.delenv(name)

    code = main(["backfill", "--dry-run", "--no-progress"])

    out, err = capsys.readouterr()
    actions = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and ": OK" in err
    assert site.port.request_count() == 0
    expected = mapped_jira_state(site)  # projects, issues and every kind the default mapping maps
    assert len(actions) == sum(map(len, expected.values())) and {a["operation"] for a in actions} == {
        "upsert"
    }
    assert (
        {a["blueprint"] for a in actions} == set(expected) == {"jiraIssue", "jiraProject", *KIND_BLUEPRINTS}
    )


def test_cli_exits_1_when_port_rejects_entities(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with sites(tmp_path, projects=2, issues=100, blueprints=strict_blueprints(["High"])) as strict:
        use_env(monkeypatch, strict)

        code = main(["backfill", "--state", str(tmp_path / "s.json")])

    out = capsys.readouterr().out
    assert code == 1
    assert "FAILED (Port rejected" in out and "invalid_entity (422)" in out and "must be one of" in out


def test_cli_exits_2_on_configuration_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("JIRA_BASE_URL", raising=False)
    monkeypatch.setenv("JIRA_PAT", "secret-pat-value")

    code = main(["backfill", "--state", str(tmp_path / "s.json")])

    err = capsys.readouterr().err
    assert code == 2 and "JIRA_BASE_URL" in err and "secret-pat-value" not in err


@pytest.fixture
def state_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    use_fake_aws(monkeypatch)
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        create_state_table(ddb, TABLE)
        yield ddb


def value(blob: dict[str, Any], name: str) -> float:
    """One metric of an EMF blob (Powertools writes a scalar or a one-element list)."""
    raw = blob[name]
    return float(sum(raw)) if isinstance(raw, list) else float(raw)


class ShortContext(FakeLambdaContext):
    """Each invocation gets 3 s above the 60 s margin, shrinking 300 ms per look."""

    def get_remaining_time_in_millis(self) -> int:
        self.looks = getattr(self, "looks", 0) + 1
        return 63_000 - 300 * self.looks


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_lambda_handler_keeps_state_in_dynamodb_and_respects_live_changes(
    site: Sites, state_table: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_env(
        monkeypatch,
        site,
        STATE_TABLE=TABLE,
        JIRA_PAGE_SIZE="20",
        BACKFILL_PARTITION_CONCURRENCY="2",
        BACKFILL_SAFETY_MARGIN_SECONDS="60",
    )
    live_key = sorted(i["key"] for p in site.jira_client().iter_issue_pages(None) for i in p.issues)[0]
    VersionGuard(state_table, TABLE).record("jiraIssue", live_key, 2**62, deleted=False)
    continuation = RecordingContinuation()
    module = reload_handler("backfill")
    monkeypatch.setattr(module, "service", functools.cache(lambda: build_local(continuation=continuation)))

    with pytest.raises(Exception, match="mode must be one of"):
        module.lambda_handler({"mode": "fast"}, ShortContext())
    responses = [module.lambda_handler({"mode": "full"}, ShortContext())]
    while (payload := continuation.take()) is not None:
        responses.append(module.lambda_handler(payload, ShortContext()))

    final = responses[-1]
    assert len(responses) > 1 and final["status"] == "succeeded" and final["ok"] is True
    assert final["issues"] == 250 and final["skippedNewer"] == 1
    assert live_key not in site.port.entities("jiraIssue")
    assert len(site.port.entities("jiraIssue")) == 249
    items = state_table.scan(TableName=TABLE)["Items"]
    keys = {(i["pk"]["S"], i["sk"]["S"].split("#")[0]) for i in items}
    assert {
        ("backfill#full", "run"),
        ("backfill#full", "last-success"),
        ("backfill#full", "partition"),
    } <= keys
    assert ("backfill#lock", "lock") not in keys
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert sum(value(blob, "Issues") for blob in emf) == 250
    assert [value(blob, "BackfillFailed") for blob in emf] == [0] * len(responses)
