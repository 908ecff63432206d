"""apply_actions against the local Port, and the ``blueprints`` / ``port-emulator`` commands."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from jira_port.port.apply import apply_actions
from jira_port.port.types import Action
from jira_port_emulators.port import PortEmulator, PortFaults
from jira_port_tools.cli import main
from tests.support.port_emulator import client_for, new_emulator

ROOT = Path(__file__).resolve().parents[3]

BUNDLED = ("jiraBoard", "jiraComponent", "jiraIssue", "jiraProject", "jiraSprint", "jiraUser", "jiraVersion")


def issue(key: str, **properties: object) -> Action:
    entity = {
        "identifier": key,
        "title": key,
        "properties": {"summary": key, **properties},
        "relations": {"project": "PROJ"},
    }
    return Action("upsert", "jiraIssue", entity)


def test_live_style_actions_apply_in_order_with_classified_failures() -> None:
    emu = new_emulator()
    actions = [
        Action(
            "upsert",
            "jiraProject",
            {"identifier": "PROJ", "title": "Project", "properties": {}, "relations": {}},
        ),
        issue("PROJ-1", status="To Do"),
        issue("PROJ-2"),
        issue("PROJ-1", status="Done"),
        issue("PROJ-3", bogus=True),  # not in the blueprint: permanent
        Action("delete", "jiraIssue", {"identifier": "PROJ-2"}),
        Action("delete", "jiraIssue", {"identifier": "PROJ-404"}),
    ]
    with emu.running(), client_for(emu) as port:
        result = apply_actions(actions, port)
    assert (result.upserted, result.deleted, result.already_gone) == (3, 1, 1)
    [failure] = result.failures
    assert (failure.identifier, failure.status, failure.transient) == ("PROJ-3", 422, False)
    stored = emu.entities("jiraIssue")
    assert set(stored) == {"PROJ-1"} and stored["PROJ-1"]["properties"]["status"] == "Done"
    assert emu.entities("jiraProject")["PROJ"]["title"] == "Project"


def test_missing_relation_target_is_a_permanent_not_found_without_create_missing() -> None:
    emu = new_emulator()
    with emu.running(), client_for(emu, create_missing_related_entities=False) as port:
        result = apply_actions([issue("PROJ-1")], port)
    [failure] = result.failures
    assert (failure.status, failure.error, failure.transient) == (404, "not_found", False)


def test_exhausted_throttling_is_a_transient_failure() -> None:
    emu = new_emulator(faults=PortFaults(throttle_rate=1.0, retry_after=0.0, include_auth=False))
    with emu.running(), client_for(emu) as port:
        result = apply_actions([issue("PROJ-1"), Action("delete", "jiraIssue", {"identifier": "X"})], port)
    assert [(f.operation, f.status, f.transient) for f in result.failures] == [
        ("upsert", 429, True),
        ("delete", 429, True),
    ]
    assert emu.entities("jiraIssue") == {}


def test_blueprints_apply_command(
    port_env: dict[str, str], port_emulator: PortEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["blueprints", "apply", "--dry-run"]) == 0
    assert "dry run: 0 created, 0 updated, 7 unchanged" in capsys.readouterr().out
    assert main(["blueprints", "apply", "--dry-run", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report == {
        "dryRun": True,
        "blueprints": [{"identifier": name, "outcome": "unchanged"} for name in BUNDLED],
        "created": 0,
        "updated": 0,
        "unchanged": 7,
    }


def test_blueprints_apply_command_creates_then_reports_unchanged(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    emu = new_emulator(with_blueprints=False)
    with emu.running():
        assert emu.url is not None
        monkeypatch.setenv("PORT_API_URL", emu.url + "/")
        monkeypatch.setenv("PORT_CLIENT_ID", "local-id")
        monkeypatch.setenv("PORT_CLIENT_SECRET", "local-secret")
        monkeypatch.delenv("PORT_CREDENTIALS_SECRET_ARN", raising=False)
        assert main(["blueprints", "apply"]) == 0
        assert "jiraProject: created" in capsys.readouterr().out
        assert main(["blueprints", "apply"]) == 0
        assert "0 created, 0 updated, 7 unchanged" in capsys.readouterr().out
        monkeypatch.setenv("PORT_CLIENT_SECRET", "wrong")
        assert main(["blueprints", "apply"]) == 1
        err = capsys.readouterr().err
        assert "401" in err and "wrong" not in err
        monkeypatch.delenv("PORT_CLIENT_SECRET")
        assert main(["blueprints", "apply"]) == 2


def test_blueprints_show_prints_the_bundle(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["blueprints", "show"]) == 0
    assert '"identifier": "jiraIssue"' in capsys.readouterr().out


def test_port_emulator_command_serves_until_interrupted() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "jira_port"), str(ROOT)])}
    program = "import sys; from jira_port_tools.cli import main; sys.exit(main())"
    command = [sys.executable, "-c", program, "port-emulator", "--with-blueprints", "--seed", "1"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("Local Port API listening on http://127.0.0.1:"), first
        url = first.split(" on ", 1)[1].split(" ", 1)[0]
        hints = [process.stdout.readline().strip() for _ in range(3)]
        assert hints == [
            f"export PORT_API_URL={url}",
            "export PORT_CLIENT_ID=local-id",
            "export PORT_CLIENT_SECRET=local-secret",
        ]
        creds = {"clientId": "local-id", "clientSecret": "local-secret"}
        token = requests.post(f"{url}/v1/auth/access_token", json=creds, timeout=5).json()["accessToken"]
        found = requests.get(
            f"{url}/v1/blueprints/jiraIssue", headers={"Authorization": f"Bearer {token}"}, timeout=5
        )
        assert found.status_code == 200
        process.send_signal(signal.SIGINT)
        remaining, _ = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0 and "stopped" in remaining
