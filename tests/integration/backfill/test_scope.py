"""One scope: register-webhook files JIRA_JQL as the webhook filter; doctor reports a filter that differs."""

from __future__ import annotations

import os

import pytest

from jira_port.jira import JiraCredentials
from jira_port_emulators.jira import Account
from jira_port_tools.cli import main
from jira_port_tools.doctor_report import Report
from jira_port_tools.doctor_scope import check_scope as check_webhook_scope
from jira_port_tools.jira_webhooks import register_webhook
from tests.support.jira_emulator import running_jira

HOOK = "https://abc123.execute-api.eu-west-1.amazonaws.com/webhook"


@pytest.mark.parametrize(("flavour", "legacy"), [("cloud", True), ("server", True), ("server", False)])
def test_doctor_compares_every_jira_port_webhook_with_the_configured_scope(
    flavour: str, legacy: bool
) -> None:
    with running_jira(flavour, legacy_webhook_api=legacy) as jira:
        report = Report()
        check_webhook_scope(report, jira.client(jql="project = PLAT"))
        assert [(c.status, c.detail) for c in report.checks] == [
            ("warn", "no jira-port webhook is registered in Jira")
        ]

        register_webhook(jira.client(), HOOK, name="prod", jql="project = PLAT ORDER BY key")
        register_webhook(
            jira.client(), "https://elsewhere.example.com/hooks/x", name="unrelated", jql="x = 1"
        )
        report = Report()
        check_webhook_scope(report, jira.client(jql="project  =  PLAT"))
        assert [c.status for c in report.checks] == ["ok"]

        report = Report()
        check_webhook_scope(report, jira.client(jql="project in (PLAT, MOBI)"))
        (check,) = report.checks
        assert check.status == "warn" and "'project = PLAT'" in check.detail
        assert "'project in (PLAT, MOBI)'" in check.detail and f"--url {HOOK}" in check.hint


def test_register_webhook_uses_jira_jql_and_doctor_then_agrees(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_jira("cloud") as jira:
        for name in list(os.environ):
            if name.startswith(("JIRA_", "WEBHOOK_", "PORT_", "MAPPING_")):
                monkeypatch.delenv(name)
        for name, value in {**jira.env, "JIRA_JQL": "project = PLAT", "WEBHOOK_SECRET": "s"}.items():
            monkeypatch.setenv(name, value)
        assert main(["register-webhook", "--url", HOOK]) == 0
        (reg,) = jira.emulator.registry.all()
        assert reg.jql == "project = PLAT"
        with pytest.raises(SystemExit):
            main(["register-webhook", "--url", HOOK, "--jql", "labels = x"])  # one setting: no override
        capsys.readouterr()

        monkeypatch.setenv("JIRA_JQL", "project = MOBI")
        main(["doctor"])
        out = capsys.readouterr().out
        assert f"[WARN] webhook scope: {HOOK} filters issue events with 'project = PLAT'" in out


def test_without_the_admin_permission_the_scope_check_is_skipped_not_failed() -> None:
    with running_jira("cloud", accounts=[Account("dev@example.com", secret="t", admin=False)]) as jira:
        client = jira.client(credentials=JiraCredentials.basic("dev@example.com", "t"), jql="project = PLAT")
        report = Report()
        check_webhook_scope(report, client)
        assert [(c.status, c.name) for c in report.checks] == [("skip", "webhook scope")]
        assert not any(c.status == "fail" for c in report.checks)
