"""README stays true: every setting, template parameter and command it must document is there."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
import yaml

import jira_port.settings as settings_pkg
from jira_port.settings.common import EnvModel
from jira_port_tools.cli import build_parser

ROOT = Path(__file__).resolve().parents[3]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _env_models() -> list[type[EnvModel]]:
    models: list[type[EnvModel]] = []
    for info in pkgutil.iter_modules(settings_pkg.__path__):
        module = importlib.import_module(f"jira_port.settings.{info.name}")
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, EnvModel) and obj is not EnvModel:
                models.append(obj)
    return models


def _template_parameters() -> list[str]:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    template = yaml.load((ROOT / "template.yaml").read_text(encoding="utf-8"), Loader=Loader)  # noqa: S506
    return sorted(template["Parameters"])


@pytest.mark.parametrize("variable", sorted({v for m in _env_models() for v in m.env_names().values()}))
def test_every_environment_variable_is_documented(variable: str) -> None:
    assert f"`{variable}`" in README, f"README's configuration reference lacks {variable}"


@pytest.mark.parametrize("parameter", _template_parameters())
def test_every_template_parameter_is_documented(parameter: str) -> None:
    assert f"`{parameter}`" in README, f"README's template parameter table lacks {parameter}"


def test_every_cli_command_is_mentioned() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert commands is not None
    missing = [name for name in commands if f"jira-port {name}" not in README]
    assert not missing, f"README never shows: {missing}"


def test_quick_start_is_the_two_commands_and_ci_runs_the_test_command() -> None:
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert re.search(r"^make demo\b", quick, re.M) and re.search(r"^make test\b", quick, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_no_placeholder_is_left() -> None:
    assert "PLACEHOLDER" not in README and "_TABLE\n" not in README
