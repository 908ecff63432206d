"""The expanded template's state, storage, secrets, alarms, parameters and outputs."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from jira_port.observability import NAMESPACE, SERVICE
from tests.infra.stack import Stack, load_sam


@pytest.fixture(scope="module")
def stack() -> Stack:
    return Stack()


def _props(stack: Stack, logical_id: str) -> dict[str, Any]:
    props: dict[str, Any] = stack.resources[logical_id]["Properties"]
    return props


# --- state and storage


def test_state_table_matches_the_key_schema_contract(stack: Stack) -> None:
    table = _props(stack, "StateTable")
    assert {(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]} == {
        ("pk", "HASH"),
        ("sk", "RANGE"),
    }
    assert {(a["AttributeName"], a["AttributeType"]) for a in table["AttributeDefinitions"]} == {
        ("pk", "S"),
        ("sk", "S"),
    }
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["SSESpecification"]["SSEEnabled"] is True


def test_payload_bucket_is_private_encrypted_expiring_and_tls_only(stack: Stack) -> None:
    bucket = _props(stack, "PayloadBucket")
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    (rule,) = bucket["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled"
    # Bodies outlive their messages: queue retention, then a fresh DLQ retention (FIFO restarts the clock)
    retention = sum(_props(stack, q)["MessageRetentionPeriod"] for q in ("SyncQueue", "SyncDeadLetterQueue"))
    assert retention < rule["ExpirationInDays"] * 86400 <= retention + 7 * 86400
    policy = stack.resolve(_props(stack, "PayloadBucketPolicy"))
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    bucket_arn = stack.get_att("PayloadBucket", "Arn")
    assert statement["Resource"] == [bucket_arn, f"{bucket_arn}/*"]


# --- secrets


def test_secrets_are_created_by_default() -> None:
    stack = Stack()
    secrets = stack.of_type("AWS::SecretsManager::Secret")
    assert set(secrets) == {"PortCredentialsSecret", "JiraCredentialsSecret", "WebhookSecret"}
    # The webhook secret is random, so signatures work out of the box
    generated = secrets["WebhookSecret"]["Properties"]["GenerateSecretString"]
    assert generated["PasswordLength"] >= 32
    # The Port placeholder has the shape the code reads
    port = json.loads(secrets["PortCredentialsSecret"]["Properties"]["SecretString"])
    assert set(port) == {"clientId", "clientSecret"}


def test_existing_secrets_are_used_instead_of_created() -> None:
    # Given ARNs of secrets that already exist
    arns = {
        name: f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{name}-AbCdEf"
        for name in ("PortCredentialsSecretArn", "JiraCredentialsSecretArn", "WebhookSecretArn")
    }
    stack = Stack(arns)
    # Then no secret is created and every function reads the given ones
    assert stack.of_type("AWS::SecretsManager::Secret") == {}
    assert stack.function_env("WebhookFunction")["WEBHOOK_SECRET_ARN"] == arns["WebhookSecretArn"]
    for function_id in ("SyncFunction", "BackfillFunction"):
        assert (
            stack.function_env(function_id)["PORT_CREDENTIALS_SECRET_ARN"] == arns["PortCredentialsSecretArn"]
        )
    assert (
        stack.function_env("BackfillFunction")["JIRA_CREDENTIALS_SECRET_ARN"]
        == arns["JiraCredentialsSecretArn"]
    )


def test_partial_secret_arns_are_rejected() -> None:
    with pytest.raises(ValueError, match="PortCredentialsSecretArn"):
        Stack({"PortCredentialsSecretArn": "my-port-secret"})


# --- alarms


def _alarms(stack: Stack) -> dict[str, dict[str, Any]]:
    return {k: stack.resolve(v["Properties"]) for k, v in stack.of_type("AWS::CloudWatch::Alarm").items()}


def test_dead_letter_queue_alarm(stack: Stack) -> None:
    (alarm,) = [
        a for a in _alarms(stack).values() if a["Namespace"] == "AWS/SQS" and "Visible" in a["MetricName"]
    ]
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": stack.get_att("SyncDeadLetterQueue", "QueueName")}
    ]
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_lambda_alarms_cover_the_functions(stack: Stack, metric: str) -> None:
    watched = {
        a["Dimensions"][0]["Value"]
        for a in _alarms(stack).values()
        if a["Namespace"] == "AWS/Lambda" and a["MetricName"] == metric
    }
    expected = (
        {"WebhookFunction", "SyncFunction", "BackfillFunction"}
        if metric == "Errors"
        else {
            "WebhookFunction",
            "SyncFunction",
        }
    )
    assert watched == {stack.ref(f) for f in expected}


@pytest.mark.parametrize("metric", ["BackfillFailed", "RejectedEntities", "MappingReloadFailed"])
def test_custom_metric_alarms_match_what_powertools_emits(stack: Stack, metric: str) -> None:
    # Powertools EMF puts every metric under the namespace with the single default dimension service=<name>
    (alarm,) = [a for a in _alarms(stack).values() if a["MetricName"] == metric]
    assert alarm["Namespace"] == NAMESPACE
    assert alarm["Dimensions"] == [{"Name": "service", "Value": SERVICE}]
    assert alarm["Statistic"] == "Sum"


def test_every_alarm_notifies_the_topic() -> None:
    for parameters, topic in [
        ({}, None),
        ({"AlarmTopicArn": "arn:aws:sns:us-east-1:123456789012:ops"}, "ops"),
    ]:
        stack = Stack(parameters)
        expected = stack.ref("AlarmTopic") if topic is None else parameters["AlarmTopicArn"]
        for name, alarm in _alarms(stack).items():
            assert alarm["AlarmActions"] == [expected], name
            assert alarm.get("TreatMissingData") == "notBreaching", name
        assert ("AlarmTopic" in stack.resources) is (topic is None)


def test_alarm_email_subscription_is_optional() -> None:
    assert "AlarmEmailSubscription" not in Stack().resources
    stack = Stack({"AlarmEmail": "ops@example.com"})
    subscription = stack.resolve(_props(stack, "AlarmEmailSubscription"))
    assert subscription == {
        "Protocol": "email",
        "Endpoint": "ops@example.com",
        "TopicArn": stack.ref("AlarmTopic"),
    }


# --- parameters and outputs


def test_every_parameter_is_documented_and_used() -> None:
    sam = load_sam()
    body = json.dumps({k: v for k, v in sam.items() if k != "Parameters"})
    for name, spec in sam["Parameters"].items():
        assert len(spec.get("Description", "")) >= 20, f"{name} needs a Description"
        used = f'"Ref": "{name}"' in body or re.search(r"\$\{" + name + r"\}", body)
        assert used, f"parameter {name} is never used"


def test_outputs_give_the_urls_and_the_secret_commands(stack: Stack) -> None:
    outputs = {k: stack.resolve(v["Value"]) for k, v in stack.template["Outputs"].items()}
    assert re.fullmatch(
        r"https://[^/]+\.execute-api\.us-east-1\.amazonaws\.com/webhook", outputs["WebhookUrl"]
    )
    assert outputs["WebhookUrlWithToken"] == outputs["WebhookUrl"] + "/<TOKEN>"
    assert outputs["SyncQueueUrl"] == stack.ref("SyncQueue")
    assert outputs["DeadLetterQueueUrl"] == stack.ref("SyncDeadLetterQueue")
    assert outputs["StateTableName"] == stack.ref("StateTable")
    port_arn = stack.ref("PortCredentialsSecret")
    assert outputs["PortCredentialsSecretArn"] == port_arn
    assert outputs["SetPortCredentialsCommand"].startswith(
        f"aws secretsmanager put-secret-value --secret-id {port_arn} --secret-string '"
    )
    command_json = outputs["SetPortCredentialsCommand"].split("--secret-string ", 1)[1].strip("'")
    assert set(json.loads(command_json)) == {"clientId", "clientSecret"}
    assert stack.ref("JiraCredentialsSecret") in outputs["SetJiraCredentialsCommand"]
    assert stack.ref("WebhookSecret") in outputs["ShowWebhookSecretCommand"]
