"""``jira-port map`` on every kind of input a user hands it: webhook bodies, API Gateway and SQS events,
directories and stdin; other Lambda events and unreadable offloaded bodies are refused, never ``[]``."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from jira_port_tools.cli import main
from tests.support.fixtures import FIXTURES
from tests.unit.mapping.test_cli_map import _clean_env, run  # noqa: F401 - the autouse env fixture too

EVENTS = Path(__file__).resolve().parents[3] / "events"
CREATED_BODY = FIXTURES / "jira-webhooks" / "webhook-issue-created.json"


def test_an_api_gateway_event_maps_like_its_body(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    event = json.loads((EVENTS / "webhook-issue-created.json").read_text())
    body = tmp_path / "body.json"
    body.write_text(event["body"], encoding="utf-8")
    code, lines, err = run(capsys, str(EVENTS / "webhook-issue-created.json"), str(body))
    assert code == 0, err
    assert lines[0] == lines[1]
    assert lines[0][0]["operation"] == "upsert"
    assert lines[0][0]["blueprint"] == "jiraIssue"


def test_a_base64_api_gateway_event_is_decoded(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, err = run(
        capsys, str(EVENTS / "webhook-issue-updated-base64.json"), str(EVENTS / "webhook-issue-updated.json")
    )
    assert code == 0, err
    assert lines[0] == lines[1] != []


def test_an_sqs_event_gives_one_result_per_record(capsys: pytest.CaptureFixture[str]) -> None:
    records = json.loads((EVENTS / "sqs-sync-batch.json").read_text())["Records"]
    code, lines, err = run(capsys, str(EVENTS / "sqs-sync-batch.json"))
    assert code == 0, err
    assert len(lines) == len(records) == 6
    assert all(lines), "every record of the canned batch maps to at least one action"
    assert lines[0][0]["blueprint"] == "jiraProject"
    assert lines[-1][0]["operation"] == "delete"


def test_a_directory_maps_each_json_file_in_name_order(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["map", str(EVENTS), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    document = json.loads(out)
    sources = [e["source"] for e in document["events"]]
    files = sorted(p.name for p in EVENTS.glob("*.json"))
    assert [Path(s.split(" record ")[0]).name for s in sources] == [
        name for name in files for _ in range(6 if name == "sqs-sync-batch.json" else 1)
    ]
    assert all(e["actions"] for e in document["events"])


def test_stdin_lines_may_be_lambda_events(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    event = json.loads((EVENTS / "webhook-issue-deleted.json").read_text())
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(event) + "\n"))
    code, lines, _ = run(capsys, "-")
    assert code == 0
    assert lines[0][0]["operation"] == "delete"


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (
            {"version": "0", "detail-type": "Scheduled Event", "source": "aws.events", "detail": {}},
            "EventBridge",
        ),
        ({"Records": [{"eventSource": "aws:s3", "s3": {}}]}, "Records of aws:s3"),
        ({"mode": "full"}, "backfill invocation"),
        ({"Records": [{"eventSource": "aws:sqs", "body": "{}"}]}, "not a jira-port queue message"),
        ({"version": "2.0", "routeKey": "POST /webhook", "requestContext": {}}, "without a body"),
    ],
)
def test_other_events_are_refused_clearly(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, event: dict[str, Any], message: str
) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event), encoding="utf-8")
    code, lines, err = run(capsys, str(path))
    assert code == 2
    assert lines == []
    assert message in err


def test_a_body_that_matches_no_rule_says_so(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"webhookEvent": "worklog_created", "worklog": {}}), encoding="utf-8")
    code, lines, err = run(capsys, str(path))
    assert code == 0
    assert lines == [[]]
    assert "no mapping rule matched (worklog_created)" in err


def _offloaded_event(tmp_path: Path, *, store: bool) -> Path:
    raw = CREATED_BODY.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    bucket, key = "payloads", "payloads/abc/req.json"
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    if store:
        s3.put_object(Bucket=bucket, Key=key, Body=raw)
    envelope = {
        "v": 1, "id": "abc", "group": "issue:1", "receivedAt": 1, "headers": {}, "query": {},
        "s3": {"bucket": bucket, "key": key, "size": len(raw), "sha256": sha},
    }  # fmt: skip
    path = tmp_path / "sqs.json"
    record = {"eventSource": "aws:sqs", "body": json.dumps(envelope), "messageId": "m1"}
    path.write_text(json.dumps({"Records": [record]}), encoding="utf-8")
    return path


@pytest.mark.parametrize("store", [True, False])
def test_an_offloaded_body_is_read_from_s3_or_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, store: bool
) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    with mock_aws():
        path = _offloaded_event(tmp_path, store=store)
        code, lines, err = run(capsys, str(path))
    if store:
        assert code == 0, err
        assert lines[0][0]["blueprint"] == "jiraIssue"
    else:
        assert code == 2
        assert "offloaded to s3://payloads/payloads/abc/req.json and cannot be read" in err
        assert "PayloadMissingError" in err


def test_base64_flag_with_a_bad_body_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    event = json.loads((EVENTS / "webhook-issue-updated-base64.json").read_text())
    event["body"] = base64.b64encode(b"[1, 2]").decode()
    path = tmp_path / "e.json"
    path.write_text(json.dumps(event), encoding="utf-8")
    code, _, err = run(capsys, str(path))
    assert code == 2
    assert "must be a JSON object, got list" in err
