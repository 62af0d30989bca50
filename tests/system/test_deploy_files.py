"""The files of deploy/ name only settings and commands that exist."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from roster.cli import app
from roster.config import Settings

DEPLOY = Path(__file__).parents[2] / "deploy"


def test_the_environment_file_sets_only_real_settings() -> None:
    names = [
        line.split("=", 1)[0]
        for line in (DEPLOY / "roster.env").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert names
    for name in names:
        assert name.startswith("ROSTER_"), name
        assert name.removeprefix("ROSTER_").lower() in Settings.model_fields, name


def test_the_units_run_commands_the_cli_has() -> None:
    commands = set()
    for unit in DEPLOY.glob("*.service"):
        for found in re.findall(
            r"/\.venv/bin/roster ([a-z ]+?)(?: \"|'|$)", unit.read_text(), re.M
        ):
            commands.add(tuple(found.split()))
    assert ("serve",) in commands and ("db", "backup") in commands
    for command in commands:
        result = CliRunner().invoke(app, [*command, "--help"])
        assert result.exit_code == 0, (command, result.output)
