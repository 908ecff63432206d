"""The expanded template wires what the code expects: handlers, runtime, layer, API, queues, schedules."""

from __future__ import annotations

import ast
import json
from typing import Any

import pytest

from jira_port.observability import NAMESPACE, SERVICE, TRACE_SDK_ENV
from tests.infra.stack import ROOT, Stack, load_sam

FUNCTIONS = {"WebhookFunction": "webhook", "SyncFunction": "sync", "BackfillFunction": "backfill"}


@pytest.fixture(scope="module")
def stack() -> Stack:
    return Stack()


def _props(stack: Stack, logical_id: str) -> dict[str, Any]:
    props: dict[str, Any] = stack.resources[logical_id]["Properties"]
    return props


def _layer_id(stack: Stack) -> str:
    (layer_id,) = stack.of_type("AWS::Lambda::LayerVersion")
    return layer_id


# --- functions


def test_the_stack_has_exactly_the_three_functions(stack: Stack) -> None:
    assert set(stack.of_type("AWS::Lambda::Function")) == set(FUNCTIONS)


@pytest.mark.parametrize(("function_id", "folder"), FUNCTIONS.items())
def test_each_handler_exists_and_defines_lambda_handler(function_id: str, folder: str) -> None:
    # Given the SAM definition of the function
    sam_props = load_sam()["Resources"][function_id]["Properties"]
    assert sam_props["CodeUri"].strip("/") == f"functions/{folder}"
    module, _, attribute = sam_props["Handler"].rpartition(".")
    # Then the handler file exists and defines the handler at module level
    path = ROOT / "functions" / folder / f"{module.replace('.', '/')}.py"
    assert path.is_file(), f"{path} is missing"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    defined |= {
        t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)
    }
    assert attribute in defined, f"{path} does not define {attribute}"


@pytest.mark.parametrize("function_id", FUNCTIONS)
def test_runtime_architecture_tracing_layer_and_logging(stack: Stack, function_id: str) -> None:
    props = _props(stack, function_id)
    assert props["Runtime"] == "python3.13"
    assert props["Architectures"] == ["arm64"]
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["Layers"] == [{"Ref": _layer_id(stack)}]
    # JSON logs into an explicit log group with retention, named as Lambda would name it
    logging = props["LoggingConfig"]
    assert logging["LogFormat"] == "JSON"
    group_id = logging["LogGroup"]["Ref"]
    group = _props(stack, group_id)
    assert stack.resolve(group["LogGroupName"]) == f"/aws/lambda/{stack.resolve(props['FunctionName'])}"
    assert int(stack.resolve(group["RetentionInDays"])) > 0
    # Powertools reports as the service and namespace the alarms watch
    env = stack.function_env(function_id)
    assert env["POWERTOOLS_SERVICE_NAME"] == SERVICE
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == NAMESPACE
    # Active tracing always; the X-Ray SDK's own subsegments only when the operator turns them on
    assert env[TRACE_SDK_ENV] == "false"
    assert stack.template["Parameters"]["TraceSdkCalls"]["Default"] == "false"


def test_function_timeouts_fit_their_roles(stack: Stack) -> None:
    assert _props(stack, "WebhookFunction")["Timeout"] <= 15  # Jira wants a fast 2xx
    assert 60 <= _props(stack, "SyncFunction")["Timeout"] <= 120
    assert _props(stack, "BackfillFunction")["Timeout"] == 900


def test_layer_is_built_from_the_package_for_python313_arm64(stack: Stack) -> None:
    # SAM builds a layer only with BuildMethod metadata: ours is layers/jira_port/Makefile (the locked
    # wheels, the package and .pyc files into python/; tests/infra/test_layer_contents.py runs its steps)
    layer = load_sam()["Resources"]["JiraPortLayer"]
    assert layer["Properties"]["ContentUri"].strip("/") == "layers/jira_port"
    assert layer["Metadata"] == {"BuildMethod": "makefile", "BuildArchitecture": "arm64"}
    assert (ROOT / "layers/jira_port/requirements.txt").is_file()
    assert (ROOT / "layers/jira_port/jira_port/__init__.py").is_file()
    build = (ROOT / "layers/jira_port/Makefile").read_text(encoding="utf-8")
    assert "build-JiraPortLayer:" in build
    for flag in ("--require-hashes", "--python-version 3.13", "--only-binary=:all:", "manylinux2014_aarch64"):
        assert flag in build
    props = _props(stack, _layer_id(stack))
    assert props["CompatibleRuntimes"] == ["python3.13"]
    assert props["CompatibleArchitectures"] == ["arm64"]


def test_backfill_has_a_fixed_name_for_self_invocation(stack: Stack) -> None:
    assert stack.resolve(_props(stack, "BackfillFunction")["FunctionName"]) == "jira-port-backfill"


# --- HTTP API


def test_webhook_routes_go_to_the_webhook_function(stack: Stack) -> None:
    (api_id,) = stack.of_type("AWS::ApiGatewayV2::Api")
    paths = _props(stack, api_id)["Body"]["paths"]
    assert set(paths) == {"/webhook", "/webhook/{token}"}
    for route in paths.values():
        assert set(route) == {"post"}
        integration = route["post"]["x-amazon-apigateway-integration"]
        assert integration["type"] == "aws_proxy"
        assert "${WebhookFunction.Arn}" in integration["uri"]["Fn::Sub"]
        assert integration["payloadFormatVersion"] == "2.0"


def test_api_stage_throttles_and_logs_without_the_token_path(stack: Stack) -> None:
    (stage_id,) = stack.of_type("AWS::ApiGatewayV2::Stage")
    stage = _props(stack, stage_id)
    throttling = stack.resolve(stage["DefaultRouteSettings"])
    assert int(throttling["ThrottlingBurstLimit"]) > 0
    assert float(throttling["ThrottlingRateLimit"]) > 0
    access = stage["AccessLogSettings"]
    assert access["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    assert int(stack.resolve(_props(stack, "ApiAccessLogGroup")["RetentionInDays"])) > 0
    fields = json.loads(access["Format"])
    assert "$context.routeKey" in fields.values()
    # /webhook/{token} carries a secret in the path: the raw path never reaches a log
    assert not any("path" in v.lower() for v in fields.values()), fields


# --- queues


def test_sync_consumes_the_fifo_queue_with_partial_batch_failures(stack: Stack) -> None:
    (mapping_id,) = stack.of_type("AWS::Lambda::EventSourceMapping")
    mapping = stack.resolve(_props(stack, mapping_id))
    assert mapping["FunctionName"] == stack.ref("SyncFunction")
    assert mapping["EventSourceArn"] == stack.get_att("SyncQueue", "Arn")
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 1 <= mapping["BatchSize"] <= 10
    assert int(mapping["ScalingConfig"]["MaximumConcurrency"]) >= 2


def test_sync_queue_is_fifo_deduplicated_by_the_producer(stack: Stack) -> None:
    queue = stack.resolve(_props(stack, "SyncQueue"))
    assert queue["FifoQueue"] is True
    assert queue["QueueName"].endswith(".fifo")
    assert queue["ContentBasedDeduplication"] is False
    assert queue["DeduplicationScope"] == "messageGroup"
    assert queue["FifoThroughputLimit"] == "perMessageGroupId"
    # AWS guidance: visibility timeout at least six times the consumer's timeout
    assert queue["VisibilityTimeout"] >= 6 * _props(stack, "SyncFunction")["Timeout"]


def test_poison_messages_move_to_a_fifo_dead_letter_queue(stack: Stack) -> None:
    redrive = stack.resolve(_props(stack, "SyncQueue")["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == stack.get_att("SyncDeadLetterQueue", "Arn")
    assert int(redrive["maxReceiveCount"]) == 5  # the MaxReceiveCount default
    dlq = stack.resolve(_props(stack, "SyncDeadLetterQueue"))
    assert dlq["FifoQueue"] is True
    assert dlq["MessageRetentionPeriod"] == 14 * 86400
    # Only the sync queue may redrive into it (the ARN is built from the fixed name, without a cycle)
    assert dlq["RedriveAllowPolicy"] == {
        "redrivePermission": "byQueue",
        "sourceQueueArns": [stack.get_att("SyncQueue", "Arn")],
    }


def test_max_receive_count_is_a_parameter() -> None:
    stack = Stack({"MaxReceiveCount": "9"})
    assert stack.resolve(_props(stack, "SyncQueue")["RedrivePolicy"])["maxReceiveCount"] == "9"


# --- schedules


@pytest.mark.parametrize(
    ("mode", "parameter"), [("incremental", "IncrementalSchedule"), ("full", "FullSchedule")]
)
def test_backfill_schedules_send_their_mode(mode: str, parameter: str) -> None:
    # Given a deployment with custom schedule expressions
    expression = "rate(7 minutes)" if mode == "incremental" else "cron(5 4 * * ? *)"
    stack = Stack({parameter: expression, "ScheduleTimezone": "Europe/Berlin"})
    schedules = [stack.resolve(s["Properties"]) for s in stack.of_type("AWS::Scheduler::Schedule").values()]
    (schedule,) = [s for s in schedules if json.loads(s["Target"]["Input"]) == {"mode": mode}]
    # Then the schedule invokes the backfill with that mode, expression, zone and a retry policy
    assert schedule["ScheduleExpression"] == expression
    assert schedule["ScheduleExpressionTimezone"] == "Europe/Berlin"
    assert schedule["Target"]["Arn"] == stack.get_att("BackfillFunction", "Arn")
    assert schedule["Target"]["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    # And the schedule name is per stack (schedule names are unique per account and region)
    assert schedule["Name"] == f"jira-port-{mode}"


def test_schedules_can_be_paused() -> None:
    stack = Stack({"BackfillSchedulesState": "DISABLED"})
    states = {
        stack.resolve(s["Properties"]["State"]) for s in stack.of_type("AWS::Scheduler::Schedule").values()
    }
    assert states == {"DISABLED"}
