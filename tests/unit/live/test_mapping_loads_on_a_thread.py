"""The live functions load their mapping on a thread while the main thread imports the rest of the handler.

Two threads importing at once can see each other's half-initialised packages (an ``ImportError`` at init), so
the loading thread must import nothing: ``runtime._mapping_loader`` imports what loading needs on the caller's
thread. Checked in a fresh interpreter, where nothing is imported yet.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
_CHILD = """
import json, sys
from jira_port.live import runtime
load = runtime._mapping_loader()
before = set(sys.modules)
load(sys.argv[1])
print(json.dumps(sorted(set(sys.modules) - before)))
"""


@pytest.mark.parametrize("first", ["evaluation", "relevance"])
def test_loading_the_mapping_imports_no_module(first: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env |= {"JIRA_BASE_URL": "https://acme.atlassian.net", "TMPDIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, first], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
