"""Every environment variable the code reads is set, for the function that reads it, and nothing else is.

``FUNCTION_SETTINGS`` declares which settings models each function loads; ``test_permissions.py`` checks
that declaration against the models the handlers really load while they run.
"""

from __future__ import annotations

import dataclasses
import json
import typing

import pytest

from jira_port.observability import TRACE_SDK_ENV
from jira_port.settings.common import EnvModel, SecretStr
from tests.infra.contract import FUNCTION_SETTINGS, LAMBDA_REQUIRED, settings_class
from tests.infra.stack import Stack

# Read by Powertools, and by jira_port.observability (X-Ray SDK subsegments on or off).
RUNTIME_VARIABLES = {
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_NAMESPACE",
    "POWERTOOLS_LOG_LEVEL",
    TRACE_SDK_ENV,
}
EXISTING_SECRETS = {
    name: f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{name}-AbCdEf"
    for name in ("PortCredentialsSecretArn", "JiraCredentialsSecretArn", "WebhookSecretArn")
}


def _secret_variables(model: type[EnvModel]) -> set[str]:
    names, hints = model.env_names(), typing.get_type_hints(model)
    return {
        names[field.name]
        for field in dataclasses.fields(model)  # type: ignore[arg-type]
        if SecretStr in typing.get_args(hints[field.name]) or hints[field.name] is SecretStr
    }


SCENARIOS = {
    "defaults": {},
    "existing secrets, inline mapping, DC": {
        **EXISTING_SECRETS,
        "MappingInline": json.dumps(
            [{"blueprint": "jiraIssue", "filter": "true", "entity": {"identifier": ".body.issue.key"}}]
        ),
        "JiraDeployment": "server",
        "JiraJql": "project in (ABC, XYZ)",
        "WebhookRequireSignature": "false",
        "PortApiUrl": "https://api.us.getport.io",
    },
}


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("function_id", FUNCTION_SETTINGS)
def test_every_settings_model_of_a_function_loads_from_its_template_environment(
    function_id: str, scenario: str
) -> None:
    # Given the function's environment as CloudFormation would resolve it
    env = Stack(SCENARIOS[scenario]).function_env(function_id)
    for ref in FUNCTION_SETTINGS[function_id]:
        # When the code loads its settings from that environment, Then they validate
        settings_class(ref).from_env(env)


@pytest.mark.parametrize("function_id", FUNCTION_SETTINGS)
def test_variables_needed_in_lambda_are_set(function_id: str) -> None:
    env = Stack().function_env(function_id)
    missing = {name for name in LAMBDA_REQUIRED[function_id] if not env.get(name)}
    assert not missing, f"{function_id} lacks {sorted(missing)}"


@pytest.mark.parametrize("function_id", FUNCTION_SETTINGS)
def test_no_variable_is_set_that_the_function_does_not_read(function_id: str) -> None:
    # Catches typos and leftovers: a misspelt name would silently fall back to a default
    env = Stack().function_env(function_id)
    read = set(RUNTIME_VARIABLES)
    for ref in FUNCTION_SETTINGS[function_id]:
        read |= set(settings_class(ref).env_names().values())
    assert set(env) - read == set()


@pytest.mark.parametrize("function_id", FUNCTION_SETTINGS)
def test_secret_values_never_travel_in_the_environment(function_id: str) -> None:
    # Secrets come from Secrets Manager (the *_SECRET_ARN variables); plaintext variables are for local runs
    env = Stack().function_env(function_id)
    secret_vars: set[str] = set()
    for ref in FUNCTION_SETTINGS[function_id]:
        secret_vars |= _secret_variables(settings_class(ref))
    assert secret_vars, "expected the models to declare their secrets as SecretStr"
    assert set(env) & secret_vars == set()


def test_template_parameters_reach_the_variables() -> None:
    stack = Stack(SCENARIOS["existing secrets, inline mapping, DC"])
    backfill = stack.function_env("BackfillFunction")
    assert backfill["JIRA_DEPLOYMENT"] == "server"
    assert backfill["JIRA_JQL"] == "project in (ABC, XYZ)"
    assert backfill["PORT_API_URL"] == "https://api.us.getport.io"
    webhook = stack.function_env("WebhookFunction")
    assert webhook["WEBHOOK_REQUIRE_SIGNATURE"] == "false"
    for function_id in FUNCTION_SETTINGS:
        assert stack.function_env(function_id)["MAPPING_CONFIG"].startswith('[{"blueprint"')
