"""The Lambda layer holds what the functions run, nothing of the local tooling, and bytecode for all of it.

The layer is built by its own build step (``layers/jira_port/Makefile``, target ``layer-package``, which
``sam build`` runs after installing the locked wheels) into ``python/``, and each handler is imported in a
fresh interpreter whose path holds only that layer, the function's own folder and the third-party
packages: the editable install (which also exposes ``jira_port_tools`` and ``jira_port_emulators``) is not
loaded. Lambda mounts the layer read-only, so every module of it must come with a ``.pyc`` that Python
uses as it is (hash-based, unchecked): otherwise each cold start compiles it from source.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import shutil
import site
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "jira_port" / "jira_port"
FUNCTIONS = ("webhook", "sync", "backfill")
# Tooling that must never be imported by what Lambda runs.
FORBIDDEN = (
    "argparse", "http.server", "moto", "werkzeug", "jira_port_emulators", "jira_port_tools", "functions"
)  # fmt: skip

# A third-party package the test layer carries too (the real build installs every locked wheel there).
DEPENDENCY = "jmespath"
PROBE = """
import importlib._bootstrap_external as external, json, sys, threading
sys.dont_write_bytecode = True
compiled = []  # every module compiled from source instead of loaded from its .pyc
to_code = external.SourceLoader.source_to_code
def recording(self, data, path, **kwargs):
    compiled.append(str(path))
    return to_code(self, data, path, **kwargs)
external.SourceLoader.source_to_code = recording
sys.path[:0] = {paths!r}
import gc
collections = []  # the collector's passes while the handler module is imported
gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(info["generation"]))
import app  # the handler module, as Lambda imports it
gc.callbacks.clear()
for thread in threading.enumerate():  # the live handlers load the mapping on a thread
    if thread is not threading.main_thread():
        thread.join()
forbidden = {forbidden!r}
print(json.dumps({{
    "forbidden": sorted(name for name in sys.modules
                        if any(name == bad or name.startswith(bad + ".") for bad in forbidden)),
    "compiled": sorted(compiled),
    "layer": sys.modules["jira_port"].__file__,
    "dependency": getattr(sys.modules.get({dependency!r}), "__file__", None),
    "yaml": "yaml" in sys.modules,  # the bundled mapping loads from JSON
    "gc": {{"passes": len(collections), "enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}},
}}))
"""


@pytest.fixture(scope="module")
def built_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The layer's ``python/`` folder as its build step makes it: one installed dependency standing in
    for the locked wheels, then the package and the bytecode (``make layer-package``)."""
    artifacts = tmp_path_factory.mktemp("layer")
    installed = Path(importlib.util.find_spec(DEPENDENCY).origin).parent  # type: ignore[arg-type, union-attr]
    shutil.copytree(
        installed, artifacts / "python" / DEPENDENCY, ignore=shutil.ignore_patterns("__pycache__")
    )
    subprocess.run(
        ["make", "--no-print-directory", "-C", str(LAYER.parent), "layer-package",
         f"ARTIFACTS_DIR={artifacts}", f"PYTHON={sys.executable}"],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    for function in FUNCTIONS:  # each function's package, as its python3.13 build makes it: no .pyc
        shutil.copytree(
            ROOT / "functions" / function, artifacts / function, ignore=shutil.ignore_patterns("__pycache__")
        )
    return artifacts / "python"


@cache  # one import per handler serves every test below
def _import_handler(built_layer: Path, function: str) -> dict[str, object]:
    paths = [str(built_layer.parent / function), str(built_layer), *site.getsitepackages()]
    code = PROBE.format(paths=paths, forbidden=list(FORBIDDEN), dependency=DEPENDENCY)
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
    found: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    assert str(found["layer"]).startswith(str(built_layer))
    return found


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_handler_imports_with_only_the_layer(built_layer: Path, function: str) -> None:
    loaded = _import_handler(built_layer, function)["forbidden"]
    assert loaded == [], f"{function} imported local tooling: {loaded}"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_handler_compiles_nothing_of_the_layer(built_layer: Path, function: str) -> None:
    compiled = _import_handler(built_layer, function)["compiled"]
    assert isinstance(compiled, list)
    assert [path for path in compiled if path.startswith(str(built_layer))] == []
    assert any(path.endswith("app.py") for path in compiled)  # the function's own app.py has no .pyc
    assert str(_import_handler(built_layer, function)["dependency"]).startswith(str(built_layer))


@pytest.mark.parametrize("function", FUNCTIONS)
def test_no_handler_imports_yaml_for_the_bundled_mapping(built_layer: Path, function: str) -> None:
    assert _import_handler(built_layer, function)["yaml"] is False


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_handler_inits_without_collections_and_freezes_what_init_built(
    built_layer: Path, function: str
) -> None:
    state = _import_handler(built_layer, function)["gc"]
    assert isinstance(state, dict)
    assert state["passes"] == 0  # the collector is off while init allocates the container's objects
    assert state["enabled"] is True  # and on again for the invocations
    assert state["frozen"] > 10_000  # the modules, clients and mapping init built are never scanned


def test_the_layer_build_gives_every_module_an_unchecked_hash_pyc(built_layer: Path) -> None:
    sources = sorted(built_layer.rglob("*.py"))
    assert {"jira_port", DEPENDENCY} <= {path.relative_to(built_layer).parts[0] for path in sources}
    assert len(sources) == len(list(built_layer.rglob("*.pyc")))
    for source in sources:
        pyc = Path(importlib.util.cache_from_source(str(source))).read_bytes()
        assert pyc[:4] == importlib.util.MAGIC_NUMBER, source
        assert int.from_bytes(pyc[4:8], "little") == 0b01, source  # hash-based, source not checked
        assert pyc[8:16] == importlib.util.source_hash(source.read_bytes()), source


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
