"""A moto deployment of the stack for handler runs, and the checks of their recorded AWS calls."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import boto3
import pytest
from moto import mock_aws

from jira_port.blueprints import bundled_blueprints
from jira_port_emulators.port import PortEmulator
from jira_port_tools.blueprints import dependency_order
from tests.infra.iam import is_allowed
from tests.infra.lambda_run import Invocation
from tests.infra.moto_stack import deploy
from tests.infra.stack import REGION, Stack

PORT_CLIENT = ("infra-test-client", "infra-test-secret")
# Statements that serve the event source mapping (Lambda's poller), not the function's code.
POLLER_ACTIONS = {"sqs:ReceiveMessage", "sqs:GetQueueAttributes"}


@contextmanager
def deployed(parameters: dict[str, str] | None = None) -> Iterator[Stack]:
    """The stack's resources in a fresh moto account."""
    with pytest.MonkeyPatch.context() as mp:
        for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
            mp.setenv(name, value)
        mp.setenv("AWS_DEFAULT_REGION", REGION)
        with mock_aws(config={"lambda": {"use_docker": False}}):
            yield deploy(Stack(parameters))


def outputs(stack: Stack) -> dict[str, str]:
    """The stack's Outputs, resolved."""
    return {k: str(stack.resolve(v["Value"])) for k, v in stack.template["Outputs"].items()}


def run_documented_command(stack: Stack, output: str, values: dict[str, str]) -> None:
    """Run a documented ``put-secret-value`` command from the Outputs (with boto3), placeholders filled."""
    command = outputs(stack)[output]
    pattern = r"aws secretsmanager put-secret-value --secret-id (\S+) --secret-string '(.+)'"
    match = re.fullmatch(pattern, command)
    assert match, command
    value = match.group(2)
    for placeholder, replacement in values.items():
        assert placeholder in value, (output, placeholder)
        value = value.replace(placeholder, replacement)
    boto3.client("secretsmanager").put_secret_value(SecretId=match.group(1), SecretString=value)


def store_port_credentials(stack: Stack) -> None:
    """Put the Port emulator's credentials into the Port secret, as the README tells a user to."""
    values = {"<CLIENT_ID>": PORT_CLIENT[0], "<CLIENT_SECRET>": PORT_CLIENT[1]}
    run_documented_command(stack, "SetPortCredentialsCommand", values)


def webhook_secret(stack: Stack) -> str:
    """What ShowWebhookSecretCommand prints: the generated secret the user pastes into Jira."""
    secret_id = outputs(stack)["ShowWebhookSecretCommand"].split("--secret-id ")[1].split()[0]
    value: str = boto3.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
    return value


def port_emulator() -> PortEmulator:
    """A local Port with the bundled blueprints and the test credentials."""
    return PortEmulator(*PORT_CLIENT, blueprints=dependency_order(bundled_blueprints()))


def denied(stack: Stack, run: Invocation) -> list[str]:
    """Each recorded request the function's policy does not allow, described."""
    statements = stack.policy_statements(run.function_id)
    return [
        f"{call.service}.{call.operation}: {request}"
        for call in run.calls
        for request in call.requests()
        if not is_allowed(statements, request)
    ]


def unused_grants(stack: Stack, run: Invocation) -> set[str]:
    """Actions the function's own statements grant that no recorded call needed (poller grants aside)."""
    used = {request.action for call in run.calls for request in call.requests()}
    granted: set[str] = set()
    for statement in stack.policy_statements(run.function_id):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if POLLER_ACTIONS & set(actions):
            continue
        granted |= set(actions)
    return granted - used
