"""Fixtures of the backfill unit tests: moto credentials and the DynamoDB state table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.support.aws import REGION, create_state_table, use_fake_aws

TABLE = "jira-port-state"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a region for moto; no endpoint overrides from the outside."""
    use_fake_aws(monkeypatch)


@pytest.fixture
def ddb(aws_env: None) -> Iterator[Any]:
    """A moto DynamoDB client with the state table (pk/sk, TTL on expiresAt) created."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        create_state_table(client, TABLE)
        yield client
