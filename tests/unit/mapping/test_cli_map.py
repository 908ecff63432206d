"""``jira-port map``: files and JSON Lines in, one JSON array of actions per event out, 2 on bad input."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from jira_port_tools.cli import main
from tests.support.fixtures import FIXTURES

CREATED = FIXTURES / "jira-webhooks" / "webhook-issue-created.json"
DELETED = FIXTURES / "jira-webhooks" / "webhook-issue-deleted.json"
COMMENT = FIXTURES / "jira-webhooks" / "webhook-server-comment-created.json"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MAPPING_FILE", "MAPPING_CONFIG", "JIRA_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[Any], str]:
    code = main(["map", *argv])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


def test_one_line_per_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, err = run(
        capsys, str(CREATED), str(DELETED), str(COMMENT), "--jira-base-url", "https://a.example"
    )
    assert code == 0
    note = "no mapping rule matched (comment_created): nothing would be written"
    assert err == f"jira-port: warning: {COMMENT}: {note}\n"
    created, deleted, comment = lines
    assert created[0]["operation"] == "upsert"
    assert created[0]["blueprint"] == "jiraIssue"
    assert created[0]["entity"]["properties"]["url"] == "https://a.example/browse/TES-41"
    assert "deleteDependents" not in created[0]
    assert deleted == [
        {
            "operation": "delete",
            "blueprint": "jiraIssue",
            "entity": {"identifier": "IDT-19"},
            "deleteDependents": False,
        }
    ]
    assert comment == []


def test_stdin_json_lines(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    events = [json.loads(CREATED.read_text()), json.loads(DELETED.read_text())]
    text = json.dumps(events[0]) + "\n\n" + json.dumps(events[1]) + "\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    code, lines, _ = run(capsys, "-")
    assert code == 0
    assert [line[0]["operation"] for line in lines] == ["upsert", "delete"]


def test_stdin_bad_line_is_reported_with_its_number(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(CREATED.read_text().replace("\n", "") + "\n{oops\n{}\n"))
    code, lines, err = run(capsys, "-")
    assert code == 2
    assert len(lines) == 1
    assert "stdin line 2: not valid JSON" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [("[1, 2]", "must be a JSON object, got list"), ("{nope", "not valid JSON"), (None, "cannot read")],
)
def test_bad_event_files_exit_2_before_any_output(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "event.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    code, lines, err = run(capsys, str(CREATED), str(path))
    assert code == 2
    assert lines == []
    assert str(path) in err and message in err


def test_invalid_mapping_exits_2_with_the_reason(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    mapping = tmp_path / "m.json"
    mapping.write_text('[{"blueprint": "x", "entity": {"identifier": ".a |"}}]', encoding="utf-8")
    code, lines, err = run(capsys, str(CREATED), "--mapping", str(mapping))
    assert code == 2
    assert lines == []
    assert "rule 0, entity.identifier: jq error: syntax error" in err


def test_mapping_from_the_environment_headers_and_query(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = [
        {
            "blueprint": "probe",
            "entity": {
                "identifier": ".body.issue.key",
                "properties": {
                    "source": '.headers."x-jira-port-source"',
                    "custom": '.headers."x-custom"',
                    "q": ".queryParams.token",
                    "base": "$jira_base_url",
                },
            },
        }
    ]
    monkeypatch.setenv("MAPPING_CONFIG", json.dumps(rules))
    monkeypatch.setenv("JIRA_BASE_URL", "https://env.example")
    code, lines, _ = run(capsys, str(CREATED), "--header", "X-Custom: yes", "--query", "token=a=b")
    assert code == 0
    assert lines[0][0]["entity"]["properties"] == {
        "source": "webhook",
        "custom": "yes",
        "q": "a=b",
        "base": "https://env.example",
    }
    code, lines, _ = run(capsys, str(CREATED), "--header", "x-jira-port-source:backfill")
    assert lines[0][0]["entity"]["properties"]["source"] == "backfill"


def test_warnings_go_to_stderr(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "- blueprint: x\n  entity:\n    identifier: .body.issue.key\n    title: .body.issue | tonumber\n"
    )
    code, lines, err = run(capsys, str(CREATED), "--mapping", str(mapping))
    assert code == 0
    assert "title" not in lines[0][0]["entity"]  # a failed title is left out, not nulled
    assert f"warning: {CREATED}: rule 0, entity.title (.body.issue | tonumber)" in err


def test_bundled_mapping_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, _ = run(capsys, str(CREATED), "--mapping", "cloud-guide")
    assert code == 0
    assert lines[0][0]["entity"]["title"] == "TES-41 - Unit test summary"


def test_malformed_header_option_is_a_usage_error_that_hides_the_value(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["map", str(CREATED), "--header", "Authorization Bearer s3cr3t"])
    assert caught.value.code == 2
    assert "s3cr3t" not in capsys.readouterr().err


def test_stdin_only_once(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "-", "-")
    assert code == 2
    assert "only once" in err
