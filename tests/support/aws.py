"""moto set-up shared by the suites: fake credentials, the state table, and a log collector."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from jira_port.observability import logger

REGION = "us-east-1"
STATE_TABLE = "jira-port-state"
_FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}
_ENDPOINT_OVERRIDES = (
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_SQS",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_LAMBDA",
    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
)


def use_fake_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a region for moto; drop endpoint overrides inherited from the outside."""
    for name, value in _FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    for name in _ENDPOINT_OVERRIDES:
        monkeypatch.delenv(name, raising=False)


def create_state_table(dynamodb: Any, name: str = STATE_TABLE) -> str:
    """The state table as template.yaml declares it: pk/sk strings, TTL on ``expiresAt``."""
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    )
    dynamodb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiresAt"}
    )
    return name


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def collect_logs() -> Iterator[list[logging.LogRecord]]:
    """Every record the jira-port logger emits inside the block."""
    collector = _Collector()
    target = logging.getLogger(logger.name)
    target.addHandler(collector)
    try:
        yield collector.records
    finally:
        target.removeHandler(collector)
