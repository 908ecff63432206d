"""``ItemTable`` on the DynamoDB state table (``pk``/``sk``, TTL attribute ``expiresAt``).

Only GetItem, PutItem, DeleteItem, Query and BatchWriteItem are used (the actions the functions'
policies grant). ``BatchWriteItem`` leftovers (``UnprocessedItems``, DynamoDB's answer when throttled)
are re-sent with backoff a few times, then the call fails.
Reads are strongly consistent: a continuation must see the cursor its predecessor saved.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from jira_port.backfill.tables import StateError
from jira_port.errors import aws_error_code

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef


BATCH_WRITE_SIZE = 25  # DynamoDB's BatchWriteItem limit
BATCH_WRITE_ATTEMPTS = 6


def _conditional_failed(exc: ClientError) -> bool:
    return aws_error_code(exc) == "ConditionalCheckFailedException"


class DynamoTable:
    """The state table through the low-level DynamoDB client."""

    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        self._client: DynamoDBClient = client if client is not None else boto3.client("dynamodb")

    def _fail(self, action: str, exc: Exception) -> StateError:
        code = aws_error_code(exc)
        return StateError(f"DynamoDB {action} on {self.table_name} failed: {code or type(exc).__name__}")

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        try:
            out = self._client.get_item(
                TableName=self.table_name, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True
            )
        except (ClientError, BotoCoreError) as exc:
            raise self._fail("GetItem", exc) from exc
        item = out.get("Item")
        if item is None or "data" not in item:
            return None
        data: dict[str, Any] = json.loads(item["data"]["S"])
        return data

    def put(self, pk: str, sk: str, data: dict[str, Any], *, expires_at: int | None = None) -> None:
        item: dict[str, AttributeValueTypeDef] = {
            "pk": {"S": pk},
            "sk": {"S": sk},
            "data": {"S": json.dumps(data, separators=(",", ":"))},
        }
        if expires_at is not None:
            item["expiresAt"] = {"N": str(expires_at)}
        try:
            self._client.put_item(TableName=self.table_name, Item=item)
        except (ClientError, BotoCoreError) as exc:
            raise self._fail("PutItem", exc) from exc

    def query(self, pk: str, sk_prefix: str) -> Iterator[tuple[str, dict[str, Any]]]:
        start: dict[str, AttributeValueTypeDef] | None = None
        while True:
            # DynamoDB refuses begins_with with an empty operand: no prefix = the whole partition.
            values: dict[str, AttributeValueTypeDef] = {":pk": {"S": pk}}
            condition = "pk = :pk"
            if sk_prefix:
                values[":prefix"] = {"S": sk_prefix}
                condition += " AND begins_with(sk, :prefix)"
            kwargs: dict[str, Any] = {
                "TableName": self.table_name,
                "KeyConditionExpression": condition,
                "ExpressionAttributeValues": values,
                "ConsistentRead": True,
            }
            if start is not None:
                kwargs["ExclusiveStartKey"] = start
            try:
                out = self._client.query(**kwargs)
            except (ClientError, BotoCoreError) as exc:
                raise self._fail("Query", exc) from exc
            for item in out.get("Items", []):
                if "data" in item:
                    yield item["sk"]["S"], json.loads(item["data"]["S"])
            start = out.get("LastEvaluatedKey")
            if not start:
                return

    def put_many(self, pk: str, sks: list[str], data: dict[str, Any]) -> None:
        text = json.dumps(data, separators=(",", ":"))
        self._batch_write(
            [{"PutRequest": {"Item": {"pk": {"S": pk}, "sk": {"S": sk}, "data": {"S": text}}}} for sk in sks]
        )

    def delete_many(self, pk: str, sks: list[str]) -> None:
        self._batch_write([{"DeleteRequest": {"Key": {"pk": {"S": pk}, "sk": {"S": sk}}}} for sk in sks])

    def _batch_write(self, requests: list[Any]) -> None:
        for start in range(0, len(requests), BATCH_WRITE_SIZE):
            pending = requests[start : start + BATCH_WRITE_SIZE]
            for attempt in range(BATCH_WRITE_ATTEMPTS):
                try:
                    out = self._client.batch_write_item(RequestItems={self.table_name: pending})
                except (ClientError, BotoCoreError) as exc:
                    raise self._fail("BatchWriteItem", exc) from exc
                pending = list(out.get("UnprocessedItems", {}).get(self.table_name, []))
                if not pending:
                    break
                time.sleep(min(2.0, 0.05 * 2**attempt))
            if pending:
                raise StateError(
                    f"DynamoDB BatchWriteItem on {self.table_name} failed: {len(pending)} items unprocessed"
                )

    def claim(self, pk: str, sk: str, owner: str, expires_at: int, *, now: int, takeover: str | None) -> bool:
        condition = "attribute_not_exists(pk) OR expiresAt < :now OR #owner = :owner"
        values: dict[str, AttributeValueTypeDef] = {":now": {"N": str(now)}, ":owner": {"S": owner}}
        if takeover is not None:
            condition += " OR #owner = :takeover"
            values[":takeover"] = {"S": takeover}
        try:
            self._client.put_item(
                TableName=self.table_name,
                Item={
                    "pk": {"S": pk},
                    "sk": {"S": sk},
                    "owner": {"S": owner},
                    "expiresAt": {"N": str(expires_at)},
                },
                ConditionExpression=condition,
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise self._fail("PutItem", exc) from exc
        except BotoCoreError as exc:
            raise self._fail("PutItem", exc) from exc
        return True

    def release(self, pk: str, sk: str, owner: str) -> bool:
        try:
            self._client.delete_item(
                TableName=self.table_name,
                Key={"pk": {"S": pk}, "sk": {"S": sk}},
                ConditionExpression="#owner = :owner",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":owner": {"S": owner}},
            )
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise self._fail("DeleteItem", exc) from exc
        except BotoCoreError as exc:
            raise self._fail("DeleteItem", exc) from exc
        return True
