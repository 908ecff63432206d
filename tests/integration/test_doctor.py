"""``jira-port doctor`` against the local Jira and Port, a port that never answers, and bad settings."""

from __future__ import annotations

import io
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from jira_port_emulators.port import PortEmulator
from jira_port_tools import doctor_report
from jira_port_tools.cli import doctor, main
from tests.support.jira_emulator import RunningJira, running_jira
from tests.support.port_emulator import CLIENT_ID, CLIENT_SECRET, new_emulator

PREFIXES = ("JIRA_", "PORT_", "WEBHOOK_", "MAPPING_")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.setenv("WEBHOOK_SECRET", "a-local-secret-of-enough-length")


@pytest.fixture(scope="module")
def jira() -> Iterator[RunningJira]:
    with running_jira("cloud", projects=2, issues=10) as running:
        yield running


@pytest.fixture(scope="module")
def port() -> Iterator[PortEmulator]:
    emulator = new_emulator()
    with emulator.running():
        yield emulator


def _point_at(monkeypatch: pytest.MonkeyPatch, jira: RunningJira, port: PortEmulator) -> None:
    env = {"PORT_API_URL": str(port.url), "PORT_CLIENT_ID": CLIENT_ID, "PORT_CLIENT_SECRET": CLIENT_SECRET}
    for name, value in {**jira.env, **env}.items():
        monkeypatch.setenv(name, value)


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any], str]:
    code = main(["doctor", "--json", *argv])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in report["checks"]}


def test_a_good_configuration_passes_line_by_line_without_log_noise(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, jira: RunningJira, port: PortEmulator
) -> None:
    _point_at(monkeypatch, jira, port)
    monkeypatch.setenv("JIRA_JQL", "project is not EMPTY")
    code = main(["doctor"])
    out, err = capsys.readouterr()
    assert code == 0, out
    lines = out.splitlines()
    assert all(line.startswith(("[ok  ]", "[skip]", "[WARN]", "       ->")) for line in lines[:-1]), out
    assert lines[-1] in {"all checks passed", "0 failed, 1 warnings"}
    assert "[ok  ] jql: valid: project is not EMPTY" in lines
    assert "[ok  ] port blueprint jiraIssue: present" in lines
    assert "{" not in out + err  # no structured log line in the report


def test_json_report(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, jira: RunningJira, port: PortEmulator
) -> None:
    _point_at(monkeypatch, jira, port)
    code, report, err = run_json(capsys)
    assert code == 0 and report["ok"] is True and report["failed"] == 0
    assert by_name(report)["jira reachable"]["status"] == "ok"
    assert by_name(report)["jql"]["detail"].startswith("none set")
    assert "[ok  ] mapping" in err  # the lines still show progress, on stderr


def test_bad_jql_is_reported_once_with_jiras_own_message(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, jira: RunningJira, port: PortEmulator
) -> None:
    _point_at(monkeypatch, jira, port)
    before = jira.emulator.requests
    code, report, _ = run_json(capsys, "--jql", "universe = 42")
    assert code == 1
    jql = [c for c in report["checks"] if c["name"] == "jql"]
    assert [c["status"] for c in jql] == ["fail"]
    assert jql[0]["detail"] == "Field 'universe' does not exist or you do not have permission to view it."
    # serverInfo twice (reachable, deployment), myself, mypermissions, jql/parse, the webhook list (scope),
    # the field list (the default mapping's Sprint field, customfield_10020): one call per check
    assert jira.emulator.requests - before == 7


def test_jql_on_data_center_uses_a_validating_search(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, port: PortEmulator
) -> None:
    with running_jira("server", projects=1, issues=3) as server:
        _point_at(monkeypatch, server, port)
        code, report, _ = run_json(capsys, "--jql", "project = NOPE")
    assert code == 1
    assert by_name(report)["jql"]["detail"] == "The value 'NOPE' does not exist for the field 'project'."


def test_the_missing_variable_is_blamed_and_each_problem_reported_once(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_BASE_URL", "not-a-url")
    monkeypatch.setenv("JIRA_EMAIL", "a@example.com")
    monkeypatch.setenv("JIRA_API_TOKEN", "t")
    monkeypatch.setenv("PORT_CLIENT_ID", "id-only")
    code, report, _ = run_json(capsys)
    assert code == 1
    checks = by_name(report)
    assert "PORT_CLIENT_SECRET not set" in checks["port config"]["detail"]
    failures = [c for c in report["checks"] if c["status"] == "fail"]
    assert [c["name"] for c in failures] == ["jira config", "port config"]
    assert sum("JIRA_BASE_URL" in c["detail"] for c in report["checks"]) == 1
    assert checks["jira credentials"]["status"] == "skip"


class SilentServer:
    """Accepts TCP connections and never answers; counts them."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.accepted:
            conn.close()


def test_an_unanswering_service_costs_a_bounded_time(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the real timeouts: Jira and Port on a port that accepts connections but never answers."""
    silent = SilentServer()
    try:
        monkeypatch.setenv("JIRA_BASE_URL", silent.url)
        monkeypatch.setenv("JIRA_PAT", "pat")
        monkeypatch.setenv("PORT_API_URL", silent.url)
        monkeypatch.setenv("PORT_CLIENT_ID", "id")
        monkeypatch.setenv("PORT_CLIENT_SECRET", "secret")
        started = time.monotonic()
        code, report, err = run_json(capsys)
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    assert code == 1
    checks = by_name(report)
    assert checks["jira reachable"]["status"] == checks["port access"]["status"] == "fail"
    assert checks["jira reachable"]["seconds"] <= doctor.SERVICE_BUDGET_SECONDS
    assert checks["port access"]["seconds"] <= doctor.SERVICE_BUDGET_SECONDS
    assert elapsed <= 2 * doctor.SERVICE_BUDGET_SECONDS + 2
    assert len(silent.accepted) == 4  # two attempts per service, then the dependent checks are skipped
    assert checks["jira credentials"]["status"] == checks["port blueprints"]["status"] == "skip"
    assert "{" not in err


def test_on_a_terminal_a_waiting_check_shows_until_its_line_replaces_it() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    report = doctor_report.Report(stream=screen)
    report.begin("jira reachable")
    assert screen.getvalue() == "[ .. ] jira reachable ..."
    report.add("jira reachable", "ok", "Cloud")
    assert screen.getvalue().endswith("\r\033[K[ok  ] jira reachable: Cloud\n")
    report.add("jql", "ok", "valid")
    assert screen.getvalue().endswith("Cloud\n[ok  ] jql: valid\n")


def test_custom_fields_the_site_lacks_are_reported(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    jira: RunningJira,
    port: PortEmulator,
    tmp_path: Any,
) -> None:
    _point_at(monkeypatch, jira, port)
    rule = {
        "blueprint": "jiraIssue",
        "filter": "true",
        "entity": {
            "identifier": ".body.issue.key",
            "properties": {
                "storyPoints": ".body.issue.fields.customfield_10016",
                "team": ".body.issue.fields.customfield_99999.value",
            },
        },
    }
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps([rule]), encoding="utf-8")

    _, report, _ = run_json(capsys, "--mapping", str(path))

    checks = by_name(report)
    assert checks["mapping"]["status"] == "ok" and str(path) in checks["mapping"]["detail"]
    assert checks["custom fields"] == {**checks["custom fields"], "status": "ok"}
    assert "customfield_10016" in checks["custom fields"]["detail"]
    missing = checks["custom field customfield_99999"]
    assert missing["status"] == "warn"
    assert "rule 0 (jiraIssue) entity.properties.team" in missing["detail"]
