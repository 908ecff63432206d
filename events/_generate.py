"""Regenerate the canned events in this folder: ``.venv/bin/python events/_generate.py``.

Bodies are real Jira captures from ``tests/fixtures/jira-webhooks`` (project events wrap the project
objects those captures embed; see README.md). Signatures use the documented test secret, so the events
stay valid whenever a body changes. ``tests/unit/live/test_events.py`` fails when the committed files
differ from what this script produces.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "layers" / "jira_port")]

from jira_port.live.auth import compute_signature  # noqa: E402
from jira_port.live.queue import (  # noqa: E402
    Envelope,
    deduplication_id,
    message_group_id,
)
from jira_port_tools.serve.lambda_events import http_api_event, sqs_event  # noqa: E402

EVENTS = Path(__file__).resolve().parent
FIXTURES = ROOT / "tests" / "fixtures" / "jira-webhooks"
TEST_SECRET = "jira-port-local-test-secret"  # noqa: S105 - documented test-only secret
TEST_TOKEN = "jira-port-local-test-token"  # noqa: S105 - documented test-only URL token
HOST = "abc123.execute-api.us-east-1.amazonaws.com"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:jira-port-sync.fifo"


def _fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def _raw(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _project_event(source: str, event: str, offset_ms: int, *, keep_type: bool) -> dict[str, Any]:
    """A project webhook body built from the project object a real issue capture embeds."""
    capture = _fixture(source)
    project = dict(capture["issue"]["fields"]["project"])
    project["id"] = int(project["id"])  # project webhooks carry the id as a number
    if not keep_type:
        project.pop("projectTypeKey", None)
    user = capture.get("user") or {}
    lead = {k: user[k] for k in ("self", "accountId", "name", "key", "displayName") if k in user}
    project["projectLead"] = lead
    project["assigneeType"] = "admin.assignee.type.unassigned"
    return {"timestamp": capture["timestamp"] + offset_ms, "webhookEvent": event, "project": project}


def _webhook(
    name: str,
    body: dict[str, Any],
    *,
    cloud: bool = True,
    sign: bool = True,
    signature: str | None = None,
    token: str | None = None,
    base64_body: bool = False,
) -> dict[str, Any]:
    raw = _raw(body)
    headers = [
        ("host", HOST),
        ("content-type", "application/json; charset=utf-8"),
        ("user-agent", "Atlassian Webhook HTTP Client"),
        ("content-length", str(len(raw))),
    ]
    if cloud:
        headers += [
            ("x-atlassian-webhook-identifier", f"{name}-{body['timestamp']}"),
            ("x-atlassian-webhook-flow", "Primary"),
        ]
    if sign:
        headers.append(("x-hub-signature", signature or compute_signature(TEST_SECRET, raw)))
    path = f"/webhook/{token}" if token else "/webhook"
    event = http_api_event(
        method="POST",
        path=path,
        query_string="",
        headers=headers,
        body=raw,
        route_key="POST /webhook/{token}" if token else "POST /webhook",
        path_parameters={"token": token} if token else None,
        source_ip="185.166.143.10",
        request_id=f"req-{name}",
        now=body["timestamp"] / 1000,
    )
    event["requestContext"]["apiId"] = HOST.split(".", maxsplit=1)[0]
    event["requestContext"]["domainName"] = HOST
    event["requestContext"]["domainPrefix"] = HOST.split(".", maxsplit=1)[0]
    if base64_body:
        import base64  # noqa: PLC0415

        event["body"] = base64.b64encode(raw).decode("ascii")
        event["isBase64Encoded"] = True
    return event


def _sqs(webhooks: list[dict[str, Any]]) -> dict[str, Any]:
    messages = []
    for index, event in enumerate(webhooks, start=1):
        raw = event["body"].encode("utf-8")
        body = json.loads(raw)
        envelope = Envelope.for_body(
            raw,
            dedupe_id=deduplication_id(event["headers"], raw),
            group_id=message_group_id(body),
            received_at_ms=event["requestContext"]["timeEpoch"],
            headers=event["headers"],
            query={},
        )
        sent = str(event["requestContext"]["timeEpoch"])
        messages.append(
            {
                "MessageId": f"00000000-0000-4000-8000-{index:012d}",
                "ReceiptHandle": f"receipt-handle-{index}",
                "Body": envelope.to_json(),
                "MD5OfBody": "",
                "Attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": sent,
                    "SequenceNumber": f"{18_900_000_000_000_000_000 + index}",
                    "MessageGroupId": envelope.group_id,
                    "SenderId": "AROAEXAMPLE:jira-port-webhook",
                    "MessageDeduplicationId": envelope.dedupe_id,
                    "ApproximateFirstReceiveTimestamp": sent,
                },
            }
        )
    return sqs_event(messages, queue_arn=QUEUE_ARN, region="us-east-1")


def build_events() -> dict[str, dict[str, Any]]:
    """Every canned event by name (without ``.json``)."""
    created = _fixture("webhook-cloud-issue-created-many-fields.json")
    updated = _fixture("webhook-issue-updated-assigned.json")
    deleted = _fixture("webhook-issue-deleted.json")
    server = _fixture("webhook-server-issue-updated-in-progress.json")
    events = {
        "webhook-issue-created": _webhook("issue-created", created),
        "webhook-issue-updated": _webhook("issue-updated", updated),
        "webhook-issue-deleted": _webhook("issue-deleted", deleted),
        "webhook-server-issue-updated": _webhook("server-issue-updated", server, cloud=False),
        "webhook-project-created": _webhook(
            "project-created",
            _project_event("webhook-issue-updated-assigned.json", "project_created", -60_000, keep_type=True),
        ),
        "webhook-project-updated": _webhook(
            "project-updated",
            _project_event("webhook-issue-updated-assigned.json", "project_updated", 60_000, keep_type=False),
        ),
        "webhook-project-deleted": _webhook(
            "project-deleted",
            _project_event("webhook-issue-deleted.json", "project_deleted", 60_000, keep_type=False),
        ),
        "webhook-server-project-updated": _webhook(
            "server-project-updated",
            _project_event(
                "webhook-server-issue-updated-in-progress.json", "project_updated", 1_000, keep_type=True
            ),
            cloud=False,
        ),
        "webhook-issue-updated-base64": _webhook("issue-updated-b64", updated, base64_body=True),
        "webhook-bad-signature": _webhook("bad-signature", updated, signature="sha256=" + "0" * 64),
        "webhook-token": _webhook("token", server, cloud=False, sign=False, token=TEST_TOKEN),
    }
    events["sqs-sync-batch"] = _sqs(
        [
            events["webhook-project-created"],
            events["webhook-issue-created"],
            events["webhook-issue-updated"],
            _webhook("issue-updated-labels", _fixture("webhook-issue-updated-labels.json")),
            events["webhook-server-issue-updated"],
            events["webhook-issue-deleted"],
        ]
    )
    return events


def render(event: dict[str, Any]) -> str:
    """The file text of one event."""
    return json.dumps(event, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    """Write every event to ``events/<name>.json``."""
    for name, event in build_events().items():
        (EVENTS / f"{name}.json").write_text(render(event), encoding="utf-8")
        print(f"wrote events/{name}.json")  # noqa: T201


if __name__ == "__main__":
    main()
