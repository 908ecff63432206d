"""Every command documents the exit codes, and every command that reports something takes --json."""

from __future__ import annotations

import pytest

from jira_port_tools.cli import EXIT_CODES, main

REPORTING = [
    ["doctor"],
    ["blueprints", "apply"],
    ["register-webhook"],
    ["backfill"],
    ["map"],
    ["dlq", "list"],
    ["dlq", "redrive"],
]
COMMANDS = ["doctor", "blueprints", "register-webhook", "backfill", "map", "dlq", "demo", "serve"]


def _help(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as done:
        main([*argv, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


def test_the_top_level_help_lists_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    text = _help(capsys)
    assert EXIT_CODES.splitlines()[0] in text
    for line in EXIT_CODES.splitlines()[1:]:
        assert line in text  # kept as a table, not re-wrapped


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_help_has_the_exit_codes(capsys: pytest.CaptureFixture[str], command: str) -> None:
    assert "exit codes (every command)" in _help(capsys, command)


@pytest.mark.parametrize("argv", REPORTING, ids=" ".join)
def test_reporting_commands_take_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    assert "--json" in _help(capsys, *argv)
