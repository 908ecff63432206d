"""The ``register-webhook`` and ``jira-emulator`` commands."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from moto import mock_aws

from jira_port_emulators.jira import Account
from jira_port_tools.cli import main
from tests.support.jira_emulator import RunningJira, running_jira

ROOT = Path(__file__).resolve().parents[3]
HOOK = "https://hooks.example.com/jira"


def _env(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    for name in list(os.environ):
        if name.startswith(("JIRA_", "WEBHOOK_")):
            monkeypatch.delenv(name)
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def test_register_webhook_creates_then_updates(
    jira_cloud: RunningJira, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _env(
        monkeypatch, {**jira_cloud.env, "WEBHOOK_SECRET": "whsec", "JIRA_JQL": "project = PLAT ORDER BY key"}
    )
    assert main(["register-webhook", "--url", HOOK]) == 0
    assert "created" in capsys.readouterr().out
    monkeypatch.setenv("JIRA_JQL", "labels = sync")
    assert main(["register-webhook", "--url", HOOK, "--name", "prod"]) == 0
    out = capsys.readouterr().out
    assert "updated existing" in out and "signed" in out and "whsec" not in out
    (reg,) = jira_cloud.emulator.registry.all()
    assert (reg.jql, reg.name, reg.secret) == ("labels = sync", "prod", "whsec")


def test_register_webhook_json(
    jira_cloud: RunningJira, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _env(monkeypatch, {**jira_cloud.env, "WEBHOOK_SECRET": "whsec"})
    assert main(["register-webhook", "--url", HOOK, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    (reg,) = jira_cloud.emulator.registry.all()
    assert report["created"] is True and report["signed"] is True
    assert report["url"] == HOOK and str(report["id"]) == str(reg.id)
    assert "whsec" not in json.dumps(report)


def test_register_webhook_without_secret_warns(
    jira_server: RunningJira, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _env(monkeypatch, jira_server.env)
    assert main(["register-webhook", "--url", HOOK]) == 0
    captured = capsys.readouterr()
    assert "will not sign" in captured.err and "NOT signed" in captured.out
    assert jira_server.emulator.registry.all()[0].jql == ""


def test_register_webhook_reports_missing_permission(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_jira(
        "cloud", issues=3, accounts=[Account("dev@example.com", secret="t", admin=False)]
    ) as jira:
        _env(monkeypatch, {"JIRA_BASE_URL": jira.url, "JIRA_EMAIL": "dev@example.com", "JIRA_API_TOKEN": "t"})
        assert main(["register-webhook", "--url", HOOK]) == 1
    assert "Administer Jira" in capsys.readouterr().err


def test_register_webhook_with_bad_credentials_is_a_usage_error(
    jira_cloud: RunningJira, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _env(monkeypatch, {**jira_cloud.env, "JIRA_API_TOKEN": "expired-token"})
    assert main(["register-webhook", "--url", HOOK]) == 2
    err = capsys.readouterr().err
    assert "401" in err and "expired-token" not in err


def test_jira_emulator_command_serves_until_interrupted() -> None:
    launcher = "import sys; from jira_port_tools.cli import main; sys.exit(main(sys.argv[1:]))"
    command = [sys.executable, "-c", launcher, "jira-emulator", "--flavour", "server", "--issues", "30",
               "--projects", "2", "--seed", "4"]  # fmt: skip
    env = {**os.environ, "POWERTOOLS_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line.strip())
            if line.startswith("Ctrl-C"):
                break
        url = next(ln.split("=", 1)[1] for ln in lines if ln.startswith("export JIRA_BASE_URL="))
        assert "export JIRA_USERNAME=admin" in lines and "# or: JIRA_PAT=local-pat" in lines
        info = requests.get(url + "/rest/api/2/serverInfo", timeout=5).json()
        assert info["deploymentType"] == "DataCenter"
        found = requests.post(
            url + "/rest/api/2/search", json={"jql": ""}, auth=("admin", "admin"), timeout=5
        )
        assert found.json()["total"] == 30
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Local Jira stopped" in out


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="us-east-1")


def test_credentials_and_webhook_secret_from_secrets_manager(
    jira_cloud: RunningJira, monkeypatch: pytest.MonkeyPatch, aws: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given both secrets in Secrets Manager (the webhook one in the live path's JSON form)
    jira_arn = aws.create_secret(
        Name="jira-creds",
        SecretString=json.dumps({"JIRA_EMAIL": "admin@example.com", "JIRA_API_TOKEN": "api-token"}),
    )["ARN"]
    hook_arn = aws.create_secret(Name="hook", SecretString=json.dumps({"secret": "from-sm", "token": "t"}))[
        "ARN"
    ]
    _env(monkeypatch, {"JIRA_BASE_URL": jira_cloud.url, "JIRA_CREDENTIALS_SECRET_ARN": jira_arn,
                       "WEBHOOK_SECRET_ARN": hook_arn})  # fmt: skip
    # When the command runs with no credentials in the environment
    assert main(["register-webhook", "--url", HOOK]) == 0
    # Then it authenticated with the secret's values and registered the current webhook secret
    assert "signed" in capsys.readouterr().out
    assert jira_cloud.emulator.registry.all()[0].secret == "from-sm"


def test_register_webhook_subscribes_to_the_events_the_mapping_selects(
    jira_cloud: RunningJira, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # server-guide's filters name jira:issue_created|updated and project_created|updated only
    _env(monkeypatch, {**jira_cloud.env, "WEBHOOK_SECRET": "whsec"})
    assert main(["register-webhook", "--url", HOOK, "--mapping", "server-guide", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    expected = ["jira:issue_created", "jira:issue_updated", "project_created", "project_updated"]
    (reg,) = jira_cloud.emulator.registry.all()
    assert reg.events == report["events"] == expected


def test_register_webhook_falls_back_and_says_so_when_a_filter_names_no_event(
    jira_cloud: RunningJira, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # cloud-guide's issue rule filters on the issue's type, not on webhookEvent
    _env(monkeypatch, {**jira_cloud.env, "WEBHOOK_SECRET": "whsec"})
    assert main(["register-webhook", "--url", HOOK, "--mapping", "cloud-guide"]) == 0
    captured = capsys.readouterr()
    assert "does not name the webhookEvent values" in captured.err
    (reg,) = jira_cloud.emulator.registry.all()
    assert reg.events[:3] == ["jira:issue_created", "jira:issue_updated", "jira:issue_deleted"]
    assert "project_soft_deleted" in reg.events
