"""Least privilege, statically: no wildcard actions, each role names only its own stack's resources.

What the code actually calls is checked against these same policies in ``test_permissions.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.iam import Request, is_allowed, wildcard_actions
from tests.infra.stack import ACCOUNT, REGION, Stack

FUNCTIONS = ("WebhookFunction", "SyncFunction", "BackfillFunction")
BASE_MANAGED = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",  # Tracing: Active
}


@pytest.fixture(scope="module")
def stack() -> Stack:
    return Stack()


def _all_role_statements(stack: Stack) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for role_id, role in stack.of_type("AWS::IAM::Role").items():
        statements: list[dict[str, Any]] = []
        for policy in stack.resolve(role["Properties"].get("Policies", [])):
            doc = policy["PolicyDocument"]["Statement"]
            statements.extend(doc if isinstance(doc, list) else [doc])
        out[role_id] = statements
    return out


def test_no_role_grants_a_wildcard_action(stack: Stack) -> None:
    roles = _all_role_statements(stack)
    assert set(roles) >= {stack.role_of(f) for f in FUNCTIONS}
    for role_id, statements in roles.items():
        assert wildcard_actions(statements) == [], role_id


def test_no_role_grants_on_every_resource(stack: Stack) -> None:
    for role_id, statements in _all_role_statements(stack).items():
        for statement in statements:
            resources = (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
            assert "*" not in resources, (role_id, statement)


@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_managed_policies_are_only_logging_and_tracing(stack: Stack, function_id: str) -> None:
    # SQS polling is scoped to the queue through SQSPollerPolicy, not the account-wide managed policy
    assert set(stack.managed_policies(function_id)) == BASE_MANAGED


def _secret(stack: Stack, logical_id: str) -> str:
    return str(stack.ref(logical_id))


@pytest.mark.parametrize(
    ("function_id", "readable"),
    [
        ("WebhookFunction", {"WebhookSecret"}),
        ("SyncFunction", {"PortCredentialsSecret"}),
        ("BackfillFunction", {"PortCredentialsSecret", "JiraCredentialsSecret"}),
    ],
)
def test_each_function_reads_only_its_own_secrets(stack: Stack, function_id: str, readable: set[str]) -> None:
    statements = stack.policy_statements(function_id)
    for secret in ("WebhookSecret", "PortCredentialsSecret", "JiraCredentialsSecret"):
        request = Request("secretsmanager:GetSecretValue", _secret(stack, secret))
        assert is_allowed(statements, request) is (secret in readable), (function_id, secret)


def test_only_the_webhook_enqueues_and_only_sync_polls(stack: Stack) -> None:
    queue = stack.get_att("SyncQueue", "Arn")
    dlq = stack.get_att("SyncDeadLetterQueue", "Arn")
    send, receive = Request("sqs:SendMessage", queue), Request("sqs:ReceiveMessage", queue)
    assert is_allowed(stack.policy_statements("WebhookFunction"), send)
    assert not is_allowed(stack.policy_statements("WebhookFunction"), receive)
    assert is_allowed(stack.policy_statements("SyncFunction"), receive)
    assert is_allowed(stack.policy_statements("SyncFunction"), Request("sqs:DeleteMessage", queue))
    assert not is_allowed(stack.policy_statements("SyncFunction"), send)
    for function_id in FUNCTIONS:
        assert not is_allowed(stack.policy_statements(function_id), Request("sqs:ReceiveMessage", dlq))


def test_payload_bucket_access_is_per_direction_and_prefix(stack: Stack) -> None:
    bucket = stack.ref("PayloadBucket")
    inside, outside = f"arn:aws:s3:::{bucket}/webhooks/abc.json", f"arn:aws:s3:::{bucket}/other/abc.json"
    webhook, sync = stack.policy_statements("WebhookFunction"), stack.policy_statements("SyncFunction")
    assert is_allowed(webhook, Request("s3:PutObject", inside))
    assert not is_allowed(webhook, Request("s3:PutObject", outside))
    assert not is_allowed(webhook, Request("s3:GetObject", inside))
    assert is_allowed(sync, Request("s3:GetObject", inside))
    assert not is_allowed(sync, Request("s3:PutObject", inside))
    assert not any(
        is_allowed(stack.policy_statements("BackfillFunction"), Request(a, inside))
        for a in ("s3:GetObject", "s3:PutObject")
    )


def test_backfill_may_invoke_only_itself(stack: Stack) -> None:
    statements = stack.policy_statements("BackfillFunction")
    own = stack.get_att("BackfillFunction", "Arn")
    assert own == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:jira-port-backfill"
    assert is_allowed(statements, Request("lambda:InvokeFunction", own))
    assert not is_allowed(statements, Request("lambda:InvokeFunction", stack.get_att("SyncFunction", "Arn")))
    for function_id in ("WebhookFunction", "SyncFunction"):
        assert not is_allowed(stack.policy_statements(function_id), Request("lambda:InvokeFunction", own))


def test_schedules_may_invoke_only_the_backfill(stack: Stack) -> None:
    own = stack.get_att("BackfillFunction", "Arn")
    for schedule in stack.of_type("AWS::Scheduler::Schedule").values():
        role_id = schedule["Properties"]["Target"]["RoleArn"]["Fn::GetAtt"][0]
        (statement,) = _all_role_statements(stack)[role_id]
        assert statement["Action"] == "lambda:InvokeFunction"
        assert statement["Resource"] == own


# --- the evaluator itself


def test_evaluator_wildcards_deny_and_conditions() -> None:
    allow = {"Effect": "Allow", "Action": ["s3:Get*"], "Resource": "arn:aws:s3:::b/p/*"}
    assert is_allowed([allow], Request("s3:getobject", "arn:aws:s3:::b/p/x"))
    assert not is_allowed([allow], Request("s3:GetObject", "arn:aws:s3:::b/q/x"))
    assert not is_allowed([allow], Request("s3:PutObject", "arn:aws:s3:::b/p/x"))
    deny = {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}
    assert not is_allowed([allow, deny], Request("s3:GetObject", "arn:aws:s3:::b/p/x"))
    assert wildcard_actions([allow]) == ["s3:Get*"]
    assert wildcard_actions([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}])
    with pytest.raises(ValueError, match="Condition"):
        is_allowed(
            [{**allow, "Condition": {"Bool": {"aws:SecureTransport": "true"}}}], Request("s3:GetObject", "x")
        )
