"""The help a new user reads: whole summaries, and help for every option."""

from __future__ import annotations

import os
import subprocess
import sys

import click

from roomctl.cli.group import _COMMAND_HOMES, _COMMAND_MODULES, cli

# Starting Python takes about a second; a loaded CI machine may take longer.
PROCESS_TIMEOUT_S = 30.0


def test_the_command_list_shows_each_summary_whole() -> None:
    env = {**os.environ, "COLUMNS": "80"}
    result = subprocess.run(
        [sys.executable, "-m", "roomctl", "--help"],
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_S,
        env=env,
        check=False,
    )
    assert result.returncode == 0
    text = " ".join(result.stdout.split())  # wrapped lines joined
    assert "Add time BY, such as 5m, to the current phase." in text
    assert "List the sound outputs, then play a short tone at the room's volume cap." in text
    commands = result.stdout.split("Commands:", 1)[1]
    assert "..." not in commands


# Commands whose modules (check.py, history.py) are kept by others.
ELSEWHERE = ("check", "history", "report")


def test_every_option_of_every_command_has_help() -> None:
    for module in _COMMAND_MODULES:
        __import__(f"roomctl.cli.{module}")
    missing = [
        f"{name} {param.opts[0]}"
        for name, command in cli.commands.items()
        if name not in ELSEWHERE
        for param in command.params
        if isinstance(param, click.Option) and not param.hidden and not param.help
    ]
    assert missing == []


def test_each_command_is_found_in_the_module_that_defines_it() -> None:
    # `roomctl NAME` imports only NAME's module: a command missing from the map, or mapped
    # to the wrong module, would be "No such command".
    for module in _COMMAND_MODULES:
        __import__(f"roomctl.cli.{module}")
    homes = {
        name: command.callback.__module__.rsplit(".", 1)[1]
        for name, command in cli.commands.items()
        if command.callback is not None
    }
    assert homes == _COMMAND_HOMES
