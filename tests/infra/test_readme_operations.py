"""The README's deploy and operations commands, exactly as printed, against the stack deployed in moto.

Every ``<Name>`` placeholder is a stack output; every ``aws`` and ``jira-port dlq`` command runs with the
outputs filled in (``aws`` through boto3, flag for flag); the rest are listed here with the test that covers
them, so a new command cannot slip into the README untested.
"""

from __future__ import annotations

import io
import json
import logging
import re
import shlex
import time
from typing import Any

import boto3
import pytest

from jira_port.observability import SERVICE, logger
from jira_port.port.types import EntityFailure
from jira_port_tools.cli import main
from tests.infra.deployment import deployed, outputs
from tests.infra.stack import ROOT, Stack

README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("## Deploy\n") : README.index("## Troubleshooting\n")]
# Commands the README prints that this test does not run, and where they are covered instead.
COVERED_ELSEWHERE = {
    "git clone": "a shell step",
    "pipx install": "tests/infra/test_packaging.py (the wheel's jira-port)",
    "python -m pip wheel": "tests/infra/test_packaging.py",
    "make deploy": "tests/infra/test_deploy_scripts.py",
    "export": "shell variables for the next commands",
    "jira-port doctor": "tests/integration/test_doctor.py",
    "jira-port blueprints apply": "tests/integration/port/test_apply_and_cli.py",
    "jira-port register-webhook": "tests/integration/jira/test_cli.py",
    "aws cloudformation describe-stacks": "moto's CloudFormation cannot run the SAM transform",
}


def _commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", SECTION, re.DOTALL)
    text = "\n".join(blocks).replace("\\\n", " ")
    lines = [re.sub(r"\s+#.*$", "", line).strip() for line in text.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def test_every_placeholder_is_a_stack_output() -> None:
    names = set(re.findall(r"<([A-Z][A-Za-z]+)>", SECTION)) - {"Name"}
    template_outputs = set(Stack().template["Outputs"])
    assert names, "the README's deploy section names stack outputs"
    assert names <= template_outputs, names - template_outputs


def _fill(command: str, values: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        return shlex.quote(values[match.group(1)])

    return re.sub(r"<([A-Z][A-Za-z]+)>", replace, command)


def _aws(command: str) -> Any:
    """Run ``aws SERVICE OPERATION --flag value ...`` with boto3 (the CLI's own flag-to-parameter rule)."""
    words = shlex.split(command)
    assert words[0] == "aws"
    service, operation, rest = words[1], words[2], words[3:]
    params: dict[str, Any] = {}
    query = None
    i = 0
    while i < len(rest):
        word = rest[i]
        if not word.startswith("--"):  # the outfile of `lambda invoke`
            i += 1
            continue
        name, value = word[2:], rest[i + 1]
        i += 2
        if name == "query":
            query = value
        elif name not in {"output", "cli-binary-format"}:
            key = "".join(part.capitalize() for part in name.split("-"))
            params[key] = value.encode() if key == "Payload" else value
    client: Any = boto3.client(service)  # type: ignore[call-overload]  # the service named in the README
    result = getattr(client, operation.replace("-", "_"))(**params)
    return result[query] if query else result


def _fail_one_message(values: dict[str, str]) -> str:
    """Put one event through the sync queue until SQS dead-letters it, and log why, as the sync function
    does; returns its message id."""
    sqs = boto3.client("sqs")
    record = json.loads((ROOT / "events" / "sqs-sync-batch.json").read_text())["Records"][1]
    queue = values["SyncQueueUrl"]
    sqs.send_message(
        QueueUrl=queue,
        MessageBody=record["body"],
        MessageGroupId=record["attributes"]["MessageGroupId"],
        MessageDeduplicationId=record["attributes"]["MessageDeduplicationId"],
    )
    message_id = ""
    for _ in range(10):  # past MaxReceiveCount, SQS moves it to the dead-letter queue
        got = sqs.receive_message(QueueUrl=queue, VisibilityTimeout=0, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            break
        message_id = got[0]["MessageId"]
    assert message_id

    failure = EntityFailure(
        "jiraIssue",
        "TES-41",
        "upsert",
        422,
        "invalid_request",
        "storyPoints must be a number",
        transient=False,
    )
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)  # the sync function's formatter, into a buffer
    handler.setFormatter(logger.registered_formatter)
    std = logging.getLogger(SERVICE)
    std.addHandler(handler)
    try:
        logger.error(
            "Port rejected an entity", extra={"message_id": message_id, "failure": failure.to_json()}
        )
    finally:
        std.removeHandler(handler)
    logs = boto3.client("logs")
    group = values["SyncLogGroupName"]
    if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
        logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="sync")
    line = captured.getvalue().strip()
    assert json.loads(line)["message_id"] == message_id  # the sync function's structured line
    logs.put_log_events(
        logGroupName=group,
        logStreamName="sync",
        logEvents=[{"timestamp": int(time.time() * 1000), "message": line}],
    )
    return message_id


def test_the_printed_commands_work(capsys: pytest.CaptureFixture[str]) -> None:
    with deployed() as stack:
        values = outputs(stack)
        dead = _fail_one_message(values)
        ran: list[str] = []
        for line in _commands():
            inner = re.search(r"\$\((aws [^)]*)\)", line)  # export X=$(aws ...): the aws command runs
            command = inner.group(1) if inner else line
            if any(command.startswith(prefix) for prefix in COVERED_ELSEWHERE):
                continue
            filled = _fill(command, values)
            if command.startswith("jira-port dlq list"):
                assert main([*shlex.split(filled)[1:], "--json"]) == 0
                (letter,) = json.loads(capsys.readouterr().out)["messages"]
                assert letter["messageId"] == dead and letter["event"] == "jira:issue_created"
                assert letter["reasons"] == [
                    "Port rejected an entity: jiraIssue/TES-41 upsert HTTP 422 invalid_request: "
                    "storyPoints must be a number"
                ]
                assert main(shlex.split(filled)[1:]) == 0
                assert "Port rejected an entity" in capsys.readouterr().out
            elif command.startswith("jira-port dlq redrive"):
                assert main([*shlex.split(filled)[1:], "--json"]) == 0
                assert json.loads(capsys.readouterr().out)["moved"] == 1
                got = boto3.client("sqs").receive_message(
                    QueueUrl=values["SyncQueueUrl"], MessageSystemAttributeNames=["All"]
                )["Messages"]
                assert [m["Attributes"]["MessageGroupId"] for m in got] == ["issue:10509"]
            elif command.startswith("aws secretsmanager get-secret-value"):
                assert len(_aws(filled)) >= 32  # the generated webhook secret
            elif command.startswith("aws "):
                _aws(filled)
            else:
                pytest.fail(f"README command neither run here nor listed in COVERED_ELSEWHERE: {command}")
            ran.append(command.split(" --")[0])
        assert any(c.startswith("jira-port dlq list") for c in ran)
        assert any(c.startswith("jira-port dlq redrive") for c in ran)
        assert any(c.startswith("aws lambda invoke") for c in ran)
        assert any(c.startswith("aws secretsmanager get-secret-value") for c in ran)
