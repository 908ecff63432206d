"""The backfill's AWS calls (state, version guard, self-continuation) are all allowed by its policy, and
every grant is used: a full run that continues itself once, then an incremental run, against local Jira
and Port, on the template's environment.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from jira_port_emulators.jira.dataset import generate_dataset
from jira_port_emulators.jira.emulator import JiraEmulator
from jira_port_emulators.port import PortEmulator
from tests.infra.contract import FUNCTION_SETTINGS
from tests.infra.deployment import (
    denied,
    deployed,
    port_emulator,
    run_documented_command,
    store_port_credentials,
    unused_grants,
)
from tests.infra.lambda_run import Invocation, as_function
from tests.infra.stack import Stack
from tests.support.lambda_env import FakeLambdaContext, reload_handler

JIRA_USER = ("infra-test@example.com", "infra-test-api-token")
CONTEXT_FIELDS = ("function_name", "memory_limit_in_mb", "invoked_function_arn", "timeout_seconds")


@dataclass
class ExpiringContext(FakeLambdaContext):
    """A context whose time runs out right after the start check: the invocation must continue itself."""

    checks: int = 0

    def get_remaining_time_in_millis(self) -> int:
        self.checks += 1
        return int(self.timeout_seconds * 1000) if self.checks == 1 else 0


@dataclass
class BackfillRun:
    """The recorded backfill invocations: full (continued, then resumed) and incremental."""

    stack: Stack
    backfill: Invocation
    summaries: list[dict[str, Any]]
    continuation: dict[str, Any]
    port: PortEmulator


def _schedule_input(stack: Stack, mode: str) -> dict[str, Any]:
    """The event EventBridge Scheduler sends for ``mode`` (from the expanded template)."""
    for schedule in stack.of_type("AWS::Scheduler::Schedule").values():
        event: dict[str, Any] = json.loads(schedule["Properties"]["Target"]["Input"])
        if event.get("mode") == mode:
            return event
    raise AssertionError(f"no {mode} schedule")


@pytest.fixture(scope="module")
def backfill_run() -> Iterator[BackfillRun]:
    """A full run that continues itself once, then an incremental run, against local Jira and Port."""
    jira = JiraEmulator(generate_dataset(projects=2, issues=25, seed=7), users={JIRA_USER[0]: JIRA_USER[1]})
    port = port_emulator()
    with jira.running(), port.running() as port_api, deployed({"JiraBaseUrl": jira.url}) as stack:
        store_port_credentials(stack)
        jira_values = {"<EMAIL>": JIRA_USER[0], "<API_TOKEN>": JIRA_USER[1]}
        run_documented_command(stack, "SetJiraCredentialsCommand", jira_values)
        with as_function(stack, "BackfillFunction", {"PORT_API_URL": str(port_api.url)}) as run:
            app = reload_handler("backfill")
            expiring = ExpiringContext(**{f: getattr(run.context, f) for f in CONTEXT_FIELDS})
            summaries = [app.lambda_handler(_schedule_input(stack, "full"), expiring)]
            invokes = [c for c in run.calls if (c.service, c.operation) == ("lambda", "Invoke")]
            assert len(invokes) == 1, "the full run did not continue itself"
            continuation = json.loads(invokes[0].params["Payload"])
            summaries.append(app.lambda_handler(continuation, run.context))
            summaries.append(app.lambda_handler(_schedule_input(stack, "incremental"), run.context))
        yield BackfillRun(stack, run, summaries, continuation, port)


def test_backfill_continues_itself_and_completes(backfill_run: BackfillRun) -> None:
    # Then the first invocation handed over to a fresh one, which finished the run
    first, resumed, incremental = backfill_run.summaries
    assert first["status"] == "continued", first
    assert backfill_run.continuation["mode"] == "full"
    assert resumed["status"] == "succeeded", resumed
    assert incremental["status"] == "succeeded", incremental
    # And every issue reached Port
    assert len(backfill_run.port.entities("jiraIssue")) == 25


def test_backfill_policy_allows_every_call_it_makes(backfill_run: BackfillRun) -> None:
    assert backfill_run.backfill.calls, "nothing recorded"
    refused = denied(backfill_run.stack, backfill_run.backfill)
    assert not refused, "\n".join(refused)


def test_backfill_uses_every_grant(backfill_run: BackfillRun) -> None:
    assert unused_grants(backfill_run.stack, backfill_run.backfill) == set()


def test_backfill_loads_the_declared_settings(backfill_run: BackfillRun) -> None:
    assert backfill_run.backfill.settings == set(FUNCTION_SETTINGS["BackfillFunction"])
