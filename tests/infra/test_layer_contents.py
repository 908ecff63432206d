"""The Lambda layer holds what the functions run, and nothing of the local tooling.

The layer is built as ``sam build`` lays it out (``python/jira_port``), and each handler is imported in a
fresh interpreter whose path holds only that layer, the function's own folder and the third-party
packages: the editable install (which also exposes ``jira_port_tools`` and ``jira_port_emulators``) is not
loaded.
"""

from __future__ import annotations

import ast
import json
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "jira_port" / "jira_port"
FUNCTIONS = ("webhook", "sync", "backfill")
# Tooling that must never be imported by what Lambda runs.
FORBIDDEN = (
    "argparse", "http.server", "moto", "werkzeug", "jira_port_emulators", "jira_port_tools", "functions"
)  # fmt: skip

PROBE = """
import json, sys
sys.path[:0] = {paths!r}
import app  # the handler module, as Lambda imports it
forbidden = {forbidden!r}
print(json.dumps(sorted(name for name in sys.modules
                        if any(name == bad or name.startswith(bad + ".") for bad in forbidden))))
"""


@pytest.fixture(scope="module")
def built_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The layer's ``python/`` folder, as ``sam build`` makes it (the package copied, caches left out)."""
    python = tmp_path_factory.mktemp("layer") / "python"
    shutil.copytree(LAYER, python / "jira_port", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return python


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_handler_imports_with_only_the_layer(built_layer: Path, function: str) -> None:
    paths = [str(ROOT / "functions" / function), str(built_layer), *site.getsitepackages()]
    code = PROBE.format(paths=paths, forbidden=list(FORBIDDEN))
    env = {
        "PATH": "/usr/bin:/bin",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "JiraPort",
        "POWERTOOLS_LOG_LEVEL": "CRITICAL",
    }
    # -S: no site-packages processing, so no .pth file (the editable install) adds the repository back.
    result = subprocess.run(
        [sys.executable, "-S", "-c", code],
        cwd=built_layer,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == [], f"{function} imported local tooling: {loaded}"


def test_layer_sources_name_no_tooling() -> None:
    offenders = []
    for path in sorted(LAYER.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [
                f"{path.relative_to(ROOT)}: {name}"
                for name in names
                if any(name == bad or name.startswith(f"{bad}.") for bad in FORBIDDEN)
            ]
    assert offenders == []
