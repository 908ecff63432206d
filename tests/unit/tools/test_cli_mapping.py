"""``jira-port mapping check|diff|pull``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from jira_port.mapping import bundled_mapping_text
from jira_port_emulators.port import PortEmulator
from jira_port_tools.cli import main
from tests.support.fixtures import FIXTURES
from tests.support.port_emulator import jira_mapper, port_emulator, port_env  # noqa: F401

EVENTS = [
    "webhook-issue-updated-labels.json",
    "webhook-issue-updated-components.json",
    "webhook-issue-deleted.json",
]


def _write(path: Path, rules: Any) -> str:
    path.write_text(json.dumps(rules), encoding="utf-8")
    return str(path)


def _default() -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = yaml.safe_load(bundled_mapping_text("default"))
    return rules


@pytest.fixture
def events(tmp_path: Path) -> str:
    folder = tmp_path / "events"
    folder.mkdir()
    for name in EVENTS:
        shutil.copy(FIXTURES / "jira-webhooks" / name, folder / name)
    return str(folder)


def test_check_prints_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = _default()
    rules[0]["entity"]["title"] = ".body.issue.fields.summary | nosuchfn"
    rules[1]["entity"]["properties"]["status"] = ".body.issue.fields.status.name |"
    code = main(["mapping", "check", "--json", _write(tmp_path / "bad.json", rules)])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["ok"] is False
    fields = {(p["rule"], p["field"]) for p in report["problems"]}
    assert {(0, "entity.title"), (1, "entity.properties.status")} <= fields


def test_check_accepts_a_good_source_and_refuses_an_unreadable_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["mapping", "check", "cloud-guide"]) == 0
    assert capsys.readouterr().out.startswith("ok: mapping 'cloud-guide': ")
    assert main(["mapping", "check", "no-such-file.yaml"]) == 2


def test_diff_shows_the_actions_that_change(
    tmp_path: Path, events: str, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _write(tmp_path / "old.json", _default())
    new_rules = _default()
    new_rules[0]["entity"]["properties"]["components"] = ".body.issue.fields.components | map(.id)"
    new = _write(tmp_path / "new.json", new_rules)

    code = main(["mapping", "diff", old, new, "--events", events, "--json"])

    report = json.loads(capsys.readouterr().out)
    assert code == 1
    changes = {Path(c["event"]).name: c for c in report["events"]}
    assert "webhook-issue-deleted.json" not in changes  # a delete names no components
    change = changes["webhook-issue-updated-components.json"]
    assert change["removed"] == change["added"] == []
    (pair,) = change["changed"]
    assert pair["old"]["entity"]["properties"]["components"] == ["Special Component"]
    assert pair["new"]["entity"]["properties"]["components"] == ["10000"]
    assert main(["mapping", "diff", old, old, "--events", events]) == 0


def test_pull_saves_ports_mapping_as_yaml_that_loads_back(
    port_emulator: PortEmulator,  # noqa: F811
    port_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    port_emulator.add_webhook(jira_mapper())
    assert main(["mapping", "pull", "port:jira_mapper"]) == 0
    saved = tmp_path / "mapping.yaml"
    saved.write_text(capsys.readouterr().out, encoding="utf-8")
    assert yaml.safe_load(saved.read_text(encoding="utf-8")) == _default()
    assert main(["mapping", "check", str(saved)]) == 0


def test_serve_refuses_a_mapping_source_it_cannot_read_before_listening(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in {
        "PORT_API_URL": "http://127.0.0.1:9",
        "PORT_CLIENT_ID": "id",
        "PORT_CLIENT_SECRET": "secret",
        "WEBHOOK_SECRET": "a-local-secret-of-enough-length",
        "MAPPING_SOURCE": "default",  # restored after the test: serve sets it from --mapping
        "MAPPING_CONFIG": "[]",
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["serve", "--port", "0", "--mapping", "no-such-mapping.yaml"]) == 2
    assert "no-such-mapping.yaml" in capsys.readouterr().err
