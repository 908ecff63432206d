"""How a run that ran out of time continues: a fresh asynchronous invocation of the same function."""

from __future__ import annotations

import json
from typing import Any, Protocol

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from jira_port.errors import JiraPortError


class ContinuationError(JiraPortError):
    """The next invocation could not be started (the run resumes on the next schedule)."""


class Continuation(Protocol):
    """Starts the next invocation of a run with ``{"mode": ..., "runId": ...}``."""

    def continue_run(self, payload: dict[str, str]) -> None: ...


class LambdaContinuation:
    """Asynchronous self-invocation (``InvocationType=Event``) of ``function_name``."""

    def __init__(self, function_name: str, client: Any | None = None) -> None:
        self.function_name = function_name
        self._client = client if client is not None else boto3.client("lambda")

    def continue_run(self, payload: dict[str, str]) -> None:
        try:
            self._client.invoke(
                FunctionName=self.function_name,
                InvocationType="Event",
                Payload=json.dumps(payload).encode("utf-8"),
            )
        except (ClientError, BotoCoreError) as exc:
            code = exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else ""
            raise ContinuationError(
                f"cannot invoke {self.function_name}: {code or type(exc).__name__}"
            ) from exc


class RecordingContinuation:
    """Keeps the payloads instead of invoking anything: the CLI loops on them, tests inspect them."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, str]] = []

    def continue_run(self, payload: dict[str, str]) -> None:
        self.payloads.append(dict(payload))

    def take(self) -> dict[str, str] | None:
        """The oldest payload not yet taken, if any."""
        return self.payloads.pop(0) if self.payloads else None
