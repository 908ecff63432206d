"""One deploy path: `make deploy` runs scripts/deploy.sh, which uses the sam on PATH when it is new enough
(else the pinned one) and is guided the first time, saving personal settings outside samconfig.toml."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.infra.stack import ROOT

SAM_TOOLS = ROOT / "scripts" / "sam-tools.sh"
DEPLOY = ROOT / "scripts" / "deploy.sh"


def _pinned_and_minimum() -> tuple[str, str]:
    text = SAM_TOOLS.read_text(encoding="utf-8")
    pinned = re.search(r'^SAM_CLI_VERSION="([\d.]+)"', text, re.MULTILINE)
    minimum = re.search(r'^MIN_SAM_CLI_VERSION="([\d.]+)"', text, re.MULTILINE)
    assert pinned and minimum
    return pinned.group(1), minimum.group(1)


def _fake_sam(directory: Path, version: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    sam = directory / "sam"
    sam.write_text(f'#!/bin/sh\necho "SAM CLI, version {version}"\n', encoding="utf-8")
    sam.chmod(0o755)
    return sam


def _run(
    script: Path, *args: str, path_dirs: list[Path], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in {"SAM", "SAMCONFIG", "MAKEFLAGS", "MAKELEVEL"}}
    full = {**base, "PATH": os.pathsep.join([*map(str, path_dirs), "/usr/bin", "/bin"]), **(env or {})}
    return subprocess.run(
        [str(script), *args], capture_output=True, text=True, env=full, timeout=60, check=True
    )


def test_a_new_enough_sam_on_path_is_used(tmp_path: Path) -> None:
    _, minimum = _pinned_and_minimum()
    sam = _fake_sam(tmp_path / "bin", minimum)
    done = _run(SAM_TOOLS, "--which", path_dirs=[tmp_path / "bin"], env={"TOOLS_VENV": str(tmp_path / "tv")})
    assert done.stdout.strip() == str(sam)


@pytest.mark.parametrize("version", ["1.99.0", "garbage"])
def test_an_old_or_unknown_sam_falls_back_to_the_pinned_one(tmp_path: Path, version: str) -> None:
    pinned, minimum = _pinned_and_minimum()
    _fake_sam(tmp_path / "bin", version)
    venv = tmp_path / "tv"
    done = _run(SAM_TOOLS, "--which", path_dirs=[tmp_path / "bin"], env={"TOOLS_VENV": str(venv)})
    assert done.stdout.strip() == str(venv / "bin" / "sam")
    assert f"older than {minimum}" in done.stderr
    assert f"aws-sam-cli=={pinned} is installed there on first use" in done.stderr


def test_sam_can_be_forced(tmp_path: Path) -> None:
    done = _run(SAM_TOOLS, "--which", path_dirs=[], env={"SAM": "/opt/sam/bin/sam"})
    assert done.stdout.strip() == "/opt/sam/bin/sam"


def test_the_first_deploy_is_guided_and_saves_to_the_local_config(tmp_path: Path) -> None:
    sam = _fake_sam(tmp_path / "bin", "9.0.0")
    config = tmp_path / "samconfig.local.toml"
    env = {"SAMCONFIG": str(config)}
    first = _run(DEPLOY, "--print-only", path_dirs=[tmp_path / "bin"], env=env).stdout.splitlines()
    assert first == [
        f"{sam} build",
        f"cp samconfig.toml {config}",
        f"{sam} deploy --guided --config-file {config}    # first deploy: guided",
    ]
    config.write_text("version = 0.1\n", encoding="utf-8")
    later = _run(DEPLOY, "--print-only", "--no-confirm-changeset", path_dirs=[tmp_path / "bin"], env=env)
    assert later.stdout.splitlines() == [
        f"{sam} build",
        f"{sam} deploy --config-file {config} --no-confirm-changeset",
    ]


def test_make_deploy_dry_run_says_what_would_run(tmp_path: Path) -> None:
    sam = _fake_sam(tmp_path / "bin", "9.0.0")
    env = {"SAMCONFIG": str(tmp_path / "none.toml")}
    done = subprocess.run(
        ["make", "--no-print-directory", "deploy", "--dry-run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}", **env},
    )
    assert f"{sam} build" in done.stdout
    assert "deploy --guided" in done.stdout


def test_personal_settings_stay_out_of_the_tracked_config() -> None:
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "samconfig.local.toml" in ignored
    tracked = (ROOT / "samconfig.toml").read_text(encoding="utf-8")
    assert "region" not in tracked.split("[default.global.parameters]", 1)[1]
    assert "parameter_overrides" not in tracked
