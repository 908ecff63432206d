"""Load the real Lambda handlers in-process and give them a realistic context."""

from __future__ import annotations

import importlib.util
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions"


@dataclass
class FakeLambdaContext:
    """The attributes of ``LambdaContext`` that Powertools and our handlers read."""

    function_name: str = "jira-port-test"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:jira-port-test"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/jira-port-test"
    log_stream_name: str = "2026/11/23/[$LATEST]test"
    timeout_seconds: float = 900.0
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left of ``timeout_seconds`` since creation."""
        left = self.timeout_seconds - (time.monotonic() - self._started)
        return max(0, int(left * 1000))


def load_handler(function: str) -> ModuleType:
    """Import ``functions/<function>/app.py`` under the unique module name ``<function>_app``.

    The three functions all use ``app.py`` (SAM's convention); a unique name keeps them apart.
    The module is imported once per test session, like a warm Lambda container.
    """
    name = f"{function}_app"
    if name in sys.modules:
        return sys.modules[name]
    path = FUNCTIONS / function / "app.py"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def reload_handler(function: str) -> ModuleType:
    """Import the handler afresh (a cold start)."""
    sys.modules.pop(f"{function}_app", None)
    return load_handler(function)
