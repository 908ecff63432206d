"""The state table both functions share: the ``ItemTable`` interface, its DynamoDB implementation, and
the ownership ledger kept in it.

``ItemTable`` is a small key/value interface over the ``pk``/``sk`` key schema of the state table, with
two real implementations: ``DynamoTable`` here (the Lambda) and the local state file of the CLI
(``jira_port_tools.state_file``). Values are JSON documents; DynamoDB keeps them in one string
attribute ``data`` so no number ever turns into a ``Decimal``. ``expiresAt`` (epoch seconds) is the
table's TTL attribute. ``DynamoTable`` uses only GetItem, PutItem, DeleteItem, Query and BatchWriteItem
(the actions the functions' policies grant). ``BatchWriteItem`` leftovers (``UnprocessedItems``, DynamoDB's
answer when throttled) are re-sent with backoff a few times, then the call fails. Reads are strongly
consistent: a continuation must see the cursor its predecessor saved.

``OwnershipLedger``: which Port entities this deployment wrote. Deletes (a full run's reconciliation, a
live delete event) touch only entities in the ledger, so entities other writers created in the same
blueprints (another Jira site's stack, Port's Ocean integration, a script) are never removed. Why a ledger
and not Port's ``createdBy``/``updatedBy``: those hold the *client id* of the credential that wrote
(docs/port-behaviour.md), which changes when credentials are rotated and is the same for two stacks sharing
one credential. Layout: one item per entity, ``pk = owned#<blueprint>``, ``sk = <identifier>``, no expiry;
every successful upsert records its entity, every delete forgets it. A deployment without a ledger (an
upgrade, or a stack redeployed under a new name) owns nothing yet: its first full run deletes nothing and
adopts every entity Jira confirms. See docs/internals.md, "Ownership".
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from jira_port.errors import JiraPortError, aws_error_code

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

BATCH_WRITE_SIZE = 25  # DynamoDB's BatchWriteItem limit
BATCH_WRITE_ATTEMPTS = 6
OWNED_PREFIX = "owned#"


class StateError(JiraPortError):
    """The state store failed (unreadable file, DynamoDB error)."""


class ItemTable(Protocol):
    """The storage operations the backfill and the ownership ledger need."""

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        """The JSON document stored under (pk, sk), or None."""

    def put(self, pk: str, sk: str, data: dict[str, Any], *, expires_at: int | None = None) -> None:
        """Store ``data`` under (pk, sk), replacing any previous value."""

    def query(self, pk: str, sk_prefix: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every (sk, document) under ``pk`` whose sk starts with ``sk_prefix``, in sk order."""

    def put_many(self, pk: str, sks: list[str], data: dict[str, Any]) -> None:
        """Store ``data`` under every (pk, sk) of ``sks`` (batched; replaces earlier values)."""

    def delete_many(self, pk: str, sks: list[str]) -> None:
        """Remove every (pk, sk) of ``sks`` (absent ones are ignored)."""

    def claim(self, pk: str, sk: str, owner: str, expires_at: int, *, now: int, takeover: str | None) -> bool:
        """Lease (pk, sk) to ``owner`` until ``expires_at`` if free, expired, or held by ``takeover``."""

    def release(self, pk: str, sk: str, owner: str) -> bool:
        """Drop the lease if ``owner`` still holds it; False when someone else does."""


class DynamoTable:
    """The state table through the low-level DynamoDB client."""

    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        if client is None:
            import boto3  # noqa: PLC0415 - boto3 only when DynamoDB is used

            client = boto3.client("dynamodb")
        self._client: DynamoDBClient = client

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
        expiry: AttributeValueTypeDef = {"N": str(expires_at)}
        return self._conditional(
            "PutItem",
            self._client.put_item,
            TableName=self.table_name,
            Item={"pk": {"S": pk}, "sk": {"S": sk}, "owner": {"S": owner}, "expiresAt": expiry},
            ConditionExpression=condition,
            ExpressionAttributeNames={"#owner": "owner"},
            ExpressionAttributeValues=values,
        )

    def release(self, pk: str, sk: str, owner: str) -> bool:
        return self._conditional(
            "DeleteItem",
            self._client.delete_item,
            TableName=self.table_name,
            Key={"pk": {"S": pk}, "sk": {"S": sk}},
            ConditionExpression="#owner = :owner",
            ExpressionAttributeNames={"#owner": "owner"},
            ExpressionAttributeValues={":owner": {"S": owner}},
        )

    def _conditional(self, action: str, call: Callable[..., Any], **kwargs: Any) -> bool:
        """Run a conditional write; False when its condition failed."""
        try:
            call(**kwargs)
        except ClientError as exc:
            if aws_error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise self._fail(action, exc) from exc
        except BotoCoreError as exc:
            raise self._fail(action, exc) from exc
        return True


_RECORD: dict[str, str] = {}


def _pk(blueprint: str) -> str:
    return f"{OWNED_PREFIX}{blueprint}"


def _by_blueprint(keys: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for blueprint, identifier in dict.fromkeys(keys):
        grouped[blueprint].append(identifier)
    return grouped


class OwnershipLedger:
    """The entities this deployment owns; every method raises ``StateError`` when the table fails."""

    def __init__(self, table: ItemTable) -> None:
        self.table = table

    def record(self, keys: Iterable[tuple[str, str]]) -> None:
        """Mark (blueprint, identifier) pairs as written by this deployment."""
        for blueprint, identifiers in _by_blueprint(keys).items():
            self.table.put_many(_pk(blueprint), identifiers, _RECORD)

    def forget(self, keys: Iterable[tuple[str, str]]) -> None:
        """Drop pairs whose entities were deleted."""
        for blueprint, identifiers in _by_blueprint(keys).items():
            self.table.delete_many(_pk(blueprint), identifiers)

    def owns(self, blueprint: str, identifier: str) -> bool:
        """Whether this deployment wrote ``identifier`` of ``blueprint``."""
        return self.table.get(_pk(blueprint), identifier) is not None

    def identifiers(self, blueprint: str) -> Iterator[str]:
        """Every identifier of ``blueprint`` this deployment owns."""
        for sk, _ in self.table.query(_pk(blueprint), ""):
            yield sk
