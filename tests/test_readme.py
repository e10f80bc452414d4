"""Every command the README shows exists as written: its script, or its apeach-ls command
with those options. (The walkthrough itself runs in test_readme_walkthrough.py.)"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from readme import README, commands, section

from apeach_ls.cli import cli

REPO = Path(__file__).resolve().parents[1]
LINES = commands(README.read_text(encoding="utf-8"))


def apeach_ls_words(line: str) -> list[str] | None:
    """The arguments of the apeach-ls call on ``line`` (after VAR=value prefixes), if any."""
    words = shlex.split(line, comments=True)
    while words and "=" in words[0] and not words[0].startswith("-"):
        words.pop(0)
    return words[1:] if words and words[0] == "apeach-ls" else None


@pytest.mark.parametrize("line", [line for line in LINES if apeach_ls_words(line) is not None])
def test_every_apeach_ls_command_in_the_readme_exists_with_its_options(line):
    words = apeach_ls_words(line)
    command: click.Command = cli
    ctx = click.Context(cli)
    while isinstance(command, click.Group) and words and not words[0].startswith("-"):
        found = command.get_command(ctx, words[0])
        if found is None:
            break
        command, words = found, words[1:]
        ctx = click.Context(command)
    assert command is not cli, line
    known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    for word in words:
        if word.startswith("--"):
            assert word.split("=", 1)[0] in known, (
                f"{line}: {word} is not an option of this command"
            )


def test_the_set_up_commands_exist():
    setup_section = section("## Set-up on a fresh machine (two commands)")
    setup = [shlex.split(line, comments=True)[0] for line in commands(setup_section)]
    assert setup == ["scripts/up.sh", "scripts/test.sh"]
    for script in setup:
        assert os.access(REPO / script, os.X_OK), script


def test_backend_serves_the_built_in_model_without_apeach_ls_model(monkeypatch):
    from apeach_ls.embedded import SHIPPED_MODEL_DIR

    seen = {}

    def execv(path, argv):
        seen["model"] = os.environ.get("APEACH_LS_MODEL")
        raise SystemExit(0)

    monkeypatch.setenv("APEACH_LS_MODEL", "")  # restored after the test, which sets it
    monkeypatch.setattr(os, "execv", execv)
    CliRunner().invoke(cli, ["backend", "--port", "9090"])
    assert seen["model"] == str(SHIPPED_MODEL_DIR)
