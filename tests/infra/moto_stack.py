"""Create the stack's data-plane resources in moto from the *expanded template's* properties.

moto's CloudFormation cannot run the SAM transform (nor create secrets or schedules), so this does the
part that matters to the handlers: queues (FIFO attributes, redrive), the bucket, the table (keys, TTL),
the secrets and the functions, each built from the resolved template. Resolved environment variables and
IAM policies then name exactly the resources the code talks to.
"""

from __future__ import annotations

import io
import json
import secrets
import zipfile
from typing import Any

import boto3

from tests.infra.stack import REGION, Physical, Stack

_QUEUE_ATTRIBUTES = (
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "VisibilityTimeout",
    "MessageRetentionPeriod",
)


def _attr(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def deploy(stack: Stack) -> Stack:
    """Create every supported resource of ``stack`` in the active moto mock; record the physical ids."""
    session = boto3.session.Session(region_name=REGION)
    _queues(stack, session)
    for logical_id in stack.of_type("AWS::S3::Bucket"):
        name = f"jira-port-{logical_id.lower()}-{secrets.token_hex(4)}"
        session.client("s3").create_bucket(Bucket=name)
        stack.set_physical(logical_id, Physical(name, {"Arn": f"arn:aws:s3:::{name}"}))
    for logical_id, resource in stack.of_type("AWS::DynamoDB::Table").items():
        _table(stack, session, logical_id, resource["Properties"])
    for logical_id, resource in stack.of_type("AWS::SecretsManager::Secret").items():
        props = stack.resolve(resource["Properties"])
        value = props.get("SecretString")
        if value is None:  # GenerateSecretString
            value = secrets.token_urlsafe(int(props["GenerateSecretString"].get("PasswordLength", 32)))[:48]
        arn = session.client("secretsmanager").create_secret(Name=f"{logical_id}-test", SecretString=value)[
            "ARN"
        ]
        stack.set_physical(logical_id, Physical(arn, {"Id": arn}))
    for logical_id in stack.of_type("AWS::Lambda::Function"):
        _function(stack, session, logical_id)
    return stack


def _queues(stack: Stack, session: boto3.session.Session) -> None:
    sqs: Any = session.client("sqs")  # attribute names come from the template, not literals
    queues = stack.of_type("AWS::SQS::Queue")
    for logical_id, resource in queues.items():
        props = resource["Properties"]
        name = stack.resolve(props["QueueName"])
        attributes = {k: _attr(stack.resolve(props[k])) for k in _QUEUE_ATTRIBUTES if k in props}
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        stack.set_physical(logical_id, Physical(url, {"Arn": arn, "QueueName": name}))
    # Redrive needs the dead-letter queue's ARN, so it is set once every queue exists.
    for logical_id, resource in queues.items():
        props = resource["Properties"]
        extra = {
            key: json.dumps(stack.resolve(props[key]))
            for key in ("RedrivePolicy", "RedriveAllowPolicy")
            if key in props
        }
        if extra:
            sqs.set_queue_attributes(QueueUrl=stack.ref(logical_id), Attributes=extra)


def _table(stack: Stack, session: boto3.session.Session, logical_id: str, props: dict[str, Any]) -> None:
    ddb = session.client("dynamodb")
    name = f"jira-port-{logical_id}-{secrets.token_hex(4)}"
    resolved = stack.resolve(props)
    description = ddb.create_table(
        TableName=name,
        KeySchema=resolved["KeySchema"],
        AttributeDefinitions=resolved["AttributeDefinitions"],
        BillingMode=resolved["BillingMode"],
    )["TableDescription"]
    if "TimeToLiveSpecification" in resolved:
        ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=resolved["TimeToLiveSpecification"])
    stack.set_physical(logical_id, Physical(name, {"Arn": description["TableArn"]}))


def _function(stack: Stack, session: boto3.session.Session, logical_id: str) -> None:
    props = stack.resources[logical_id]["Properties"]
    name = stack.resolve(props["FunctionName"])
    role = session.client("iam").create_role(
        RoleName=f"{name}-role",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "def lambda_handler(event, context):\n    return event\n")
    arn = session.client("lambda").create_function(
        FunctionName=name,
        Runtime=props["Runtime"],
        Role=role,
        Handler=props["Handler"],
        Code={"ZipFile": code.getvalue()},
        Timeout=props["Timeout"],
        MemorySize=props["MemorySize"],
    )["FunctionArn"]
    stack.set_physical(logical_id, Physical(name, {"Arn": arn}))
