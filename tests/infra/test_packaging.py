"""The CLI on its own: a wheel built from the tracked files of a clean checkout installs a working
`jira-port`, and holds only uniquely named packages."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXPECTED_TOP_LEVEL = {"jira_port", "jira_port_tools", "jira_port_emulators"}


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=True
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built, without network, from a copy of the tracked files only (as a fresh clone has them)."""
    clone = tmp_path_factory.mktemp("clone")
    tracked = _run("git", "ls-files", "-z", cwd=ROOT).stdout.split("\0")
    for name in filter(None, tracked):
        source = ROOT / name
        if source.is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    out = tmp_path_factory.mktemp("dist")
    _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "-q",
        "-w",
        out,
        ".",
        cwd=clone,
    )
    (built,) = out.glob("jira_port-*.whl")
    return built


def _top_level(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return {
            name.split("/", 1)[0]
            for name in archive.namelist()
            if not name.split("/", 1)[0].endswith(".dist-info")
        }


def test_the_wheel_holds_only_uniquely_named_packages(wheel: Path) -> None:
    assert _top_level(wheel) == EXPECTED_TOP_LEVEL
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert "jira_port/py.typed" in names
    assert any(n.startswith("jira_port/data/") and n.endswith(".yaml") for n in names)
    assert any(n.startswith("jira_port/data/blueprints/") for n in names)
    assert "jira_port/data/mappings/custom-fields.yaml" in names  # the user mapping folder ships too


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv with the wheel installed; its third-party dependencies are borrowed from the test venv
    (a path entry, not a site dir, so the editable install of the source tree is not seen)."""
    venv = tmp_path_factory.mktemp("venv")
    _run(sys.executable, "-m", "venv", venv, cwd=venv)
    python = venv / "bin" / "python"
    _run(python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel, cwd=venv)
    site = Path(
        _run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=venv).stdout.strip()
    )
    (site / "zz_borrowed_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    yield venv


def _cli_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("JIRA_", "PORT_", "MAPPING_", "PYTHON"))}


def test_the_installed_cli_runs_outside_the_source_tree(installed: Path, tmp_path: Path) -> None:
    jira_port = installed / "bin" / "jira-port"
    help_text = _run(jira_port, "--help", cwd=tmp_path, env=_cli_env()).stdout
    assert "exit codes" in help_text
    for command in ("doctor", "map", "mapping", "dlq", "blueprints", "register-webhook", "backfill", "demo"):
        assert command in help_text
    probe = "import jira_port, jira_port_tools; print(jira_port_tools.__file__)"
    where = _run(installed / "bin" / "python", "-c", probe, cwd=tmp_path, env=_cli_env()).stdout
    assert str(installed) in where and str(ROOT) not in where
    event = tmp_path / "body.json"
    event.write_text(json.loads((ROOT / "events" / "webhook-issue-created.json").read_text())["body"])
    mapped = json.loads(_run(jira_port, "map", event, cwd=tmp_path, env=_cli_env()).stdout)
    assert mapped[0]["blueprint"] == "jiraIssue"
    shown = json.loads(_run(jira_port, "blueprints", "show", cwd=tmp_path, env=_cli_env()).stdout)
    assert {b["identifier"] for b in shown} == {
        "jiraProject", "jiraIssue", "jiraUser", "jiraBoard", "jiraSprint", "jiraVersion", "jiraComponent",
    }  # fmt: skip
