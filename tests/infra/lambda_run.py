"""Run a handler as its deployed function would: only the template's environment, recorded AWS calls and
recorded settings loads.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest.mock import patch

from aws_lambda_powertools.utilities import parameters

from jira_port.settings.common import EnvModel
from tests.infra.recorder import AwsCall, record_aws_calls
from tests.infra.stack import ACCOUNT, REGION, Stack
from tests.support.lambda_env import FakeLambdaContext

# What the Lambda runtime (not the template) puts in a function's environment, with fake credentials.
# X-Ray is off: there is no daemon to send segments to.
_RUNTIME = {
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
    "POWERTOOLS_TRACE_DISABLED": "1",
    "POWERTOOLS_METRICS_DISABLED": "1",
}
_HOST = ("PATH", "HOME", "LANG", "TMPDIR", "PYTHONPATH")


@dataclass
class Invocation:
    """What one function did while it ran: its AWS calls and the settings models it loaded."""

    function_id: str
    calls: list[AwsCall] = field(default_factory=list)
    settings: set[str] = field(default_factory=set)
    context: FakeLambdaContext = field(default_factory=FakeLambdaContext)


@contextmanager
def as_function(
    stack: Stack, function_id: str, overrides: dict[str, str] | None = None
) -> Iterator[Invocation]:
    """Inside the block ``os.environ`` is exactly what the deployed function sees (plus ``overrides``),
    and every AWS call and settings load is recorded."""
    props = stack.resources[function_id]["Properties"]
    name = str(stack.resolve(props["FunctionName"]))
    env = {k: os.environ[k] for k in _HOST if k in os.environ}
    env |= _RUNTIME | {
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(props["MemorySize"]),
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(props["Timeout"]),
    }
    env |= stack.function_env(function_id) | (overrides or {})
    run = Invocation(
        function_id,
        context=FakeLambdaContext(
            function_name=name,
            memory_limit_in_mb=int(props["MemorySize"]),
            invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
            timeout_seconds=float(props["Timeout"]),
        ),
    )
    original = EnvModel.from_env.__func__  # type: ignore[attr-defined]

    def recording(cls: type[EnvModel], /, env: Any = None, **overrides: object) -> EnvModel:
        run.settings.add(f"{cls.__module__.removeprefix('jira_port.settings.')}:{cls.__name__}")
        model: EnvModel = original(cls, env, **overrides)
        return model

    with (
        patch.dict(os.environ, env, clear=True),
        patch.object(EnvModel, "from_env", classmethod(recording)),
        record_aws_calls(ACCOUNT) as calls,
    ):
        parameters.clear_caches()  # type: ignore[no-untyped-call]  # a fresh container: nothing cached
        run.calls = calls
        yield run
