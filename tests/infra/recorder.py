"""Record every AWS API call made in-process and translate it into the IAM requests it needs.

All botocore clients, whichever session created them (Powertools builds its own), go through
``BaseClient._make_api_call``; wrapping it sees every operation with its parameters before moto answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import botocore.client

from tests.infra.iam import Request

# Operations whose IAM action is not "<service>:<OperationName>".
_ACTIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("lambda", "Invoke"): ("lambda:InvokeFunction",),
    ("lambda", "InvokeAsync"): ("lambda:InvokeFunction",),
    ("s3", "HeadObject"): ("s3:GetObject",),
    ("s3", "CreateMultipartUpload"): ("s3:PutObject",),
    ("s3", "UploadPart"): ("s3:PutObject",),
    ("s3", "CompleteMultipartUpload"): ("s3:PutObject",),
    ("s3", "AbortMultipartUpload"): ("s3:AbortMultipartUpload",),
    ("s3", "DeleteObjects"): ("s3:DeleteObject",),
    ("s3", "ListObjectsV2"): ("s3:ListBucket",),
    ("sqs", "SendMessageBatch"): ("sqs:SendMessage",),
    ("sqs", "DeleteMessageBatch"): ("sqs:DeleteMessage",),
    ("sqs", "ChangeMessageVisibilityBatch"): ("sqs:ChangeMessageVisibility",),
    ("sqs", "GetQueueUrl"): ("sqs:GetQueueUrl",),
}
# TransactWriteItems has no IAM action of its own: each item is authorised as its own operation.
_TRANSACT_ITEM_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Get": "dynamodb:GetItem",
}


@dataclass(frozen=True)
class AwsCall:
    """One API call: botocore service name, operation, parameters and region."""

    service: str
    operation: str
    params: dict[str, Any]
    region: str
    account: str

    def requests(self) -> list[Request]:
        """The IAM action/resource pairs this call is authorised against."""
        if self.service == "dynamodb" and self.operation in {"TransactWriteItems", "TransactGetItems"}:
            out = []
            for item in self.params["TransactItems"]:
                ((kind, body),) = item.items()
                out.append(Request(_TRANSACT_ITEM_ACTIONS[kind], self._table_arn(body["TableName"])))
            return out
        if self.service == "dynamodb" and self.operation in {"BatchGetItem", "BatchWriteItem"}:
            action = f"dynamodb:{self.operation}"
            return [Request(action, self._table_arn(t)) for t in self.params["RequestItems"]]
        actions = _ACTIONS.get((self.service, self.operation), (f"{self.service}:{self.operation}",))
        resource = self._resource()
        return [Request(a, resource) for a in actions]

    def _arn(self, service: str, rest: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account}:{rest}"

    def _table_arn(self, table: str) -> str:
        return table if table.startswith("arn:") else self._arn("dynamodb", f"table/{table}")

    def _resource(self) -> str:
        resolver = _RESOURCES.get(self.service)
        return resolver(self, self.params) if resolver else "*"


def _sqs_resource(call: AwsCall, p: dict[str, Any]) -> str:
    if "QueueUrl" in p:
        account, name = urlsplit(p["QueueUrl"]).path.strip("/").split("/")[-2:]
        return f"arn:aws:sqs:{call.region}:{account}:{name}"
    return call._arn("sqs", p.get("QueueName", "*"))


def _s3_resource(call: AwsCall, p: dict[str, Any]) -> str:
    if "Bucket" not in p:
        return "*"
    return f"arn:aws:s3:::{p['Bucket']}" + (f"/{p['Key']}" if "Key" in p else "")


def _named_resource(service: str, param: str, kind: str) -> Any:
    def resolve(call: AwsCall, p: dict[str, Any]) -> str:
        name = str(p.get(param, "*"))
        return name if name.startswith("arn:") else call._arn(service, f"{kind}{name}")

    return resolve


_RESOURCES: dict[str, Any] = {
    "sqs": _sqs_resource,
    "s3": _s3_resource,
    "dynamodb": _named_resource("dynamodb", "TableName", "table/"),
    "secretsmanager": _named_resource("secretsmanager", "SecretId", "secret:"),
    "lambda": _named_resource("lambda", "FunctionName", "function:"),
}


# The one method every botocore operation goes through (private, but stable since botocore 1.0).
_HOOKED = "_make_api_call"


@contextmanager
def record_aws_calls(account: str = "123456789012") -> Iterator[list[AwsCall]]:
    """Collect every botocore API call made inside the block (moto still answers them)."""
    calls: list[AwsCall] = []
    original = getattr(botocore.client.BaseClient, _HOOKED)

    def recording(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        calls.append(
            AwsCall(
                service=client.meta.service_model.service_name,
                operation=operation_name,
                params=dict(api_params),
                region=client.meta.region_name,
                account=account,
            )
        )
        return original(client, operation_name, api_params)

    setattr(botocore.client.BaseClient, _HOOKED, recording)
    try:
        yield calls
    finally:
        setattr(botocore.client.BaseClient, _HOOKED, original)
