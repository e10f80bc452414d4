"""Every command documents itself: --help works and shows an example."""

from __future__ import annotations

import sys

import click
import pytest
from click.testing import CliRunner

from apeach_ls.cli import COMMANDS, SHORT_HELP, cli


def leaf_commands(group: click.Group, prefix=()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            yield from leaf_commands(command, prefix + (name,))
            if command.invoke_without_command:
                yield prefix + (name,)
        else:
            yield prefix + (name,)


@pytest.mark.parametrize("path", list(leaf_commands(cli)), ids=" ".join)
def test_every_command_has_help_with_an_example(path):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"apeach-ls {' '.join(path)} --help has no example"


def test_the_top_level_help_lists_every_command_without_importing_them():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output
    assert set(SHORT_HELP) == set(COMMANDS)


def test_an_unknown_command_is_a_usage_error():
    result = CliRunner().invoke(cli, ["vote"])
    assert result.exit_code == 2 and "No such command 'vote'" in result.output


@pytest.mark.parametrize(
    "path",
    [
        ("export", "--out", "{tmp}/out"),
        ("report", "--out", "{tmp}/out"),
        ("votes", "tally"),
        ("payout", "--dry-run"),
    ],
    ids=" ".join,
)
def test_commands_of_a_campaign_config_ask_for_it_when_it_is_missing(path, tmp_path, monkeypatch):
    monkeypatch.delenv("APEACH_CAMPAIGN_CONFIG", raising=False)
    result = CliRunner().invoke(cli, [p.format(tmp=tmp_path) for p in path])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "Missing option '--config' (or set APEACH_CAMPAIGN_CONFIG)" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "path",
    [
        # every other check of these would fail too: a bad license, a non-empty output folder,
        # no pyarrow, neither --dry-run nor --commit, a roster file that does not exist
        ("export", "--out", "{tmp}/full", "--license", "not-a-license"),
        ("report", "--out", "{tmp}/full"),
        ("payout",),
        ("payout", "status"),
        ("payout", "confirm", "1"),
        ("writers", "import", "{tmp}/no-such-roster.csv"),
        ("writers", "remove", "w@example.com"),
        ("votes", "create", "--batch-size", "5"),
        ("managers",),
        ("rounds", "list"),
        ("validation", "tally"),
        ("writers", "quality"),
    ],
    ids=" ".join,
)
def test_a_missing_config_is_reported_before_any_other_check(path, tmp_path, monkeypatch):
    monkeypatch.delenv("APEACH_CAMPAIGN_CONFIG", raising=False)
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow fails, as without it
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "kept.txt").write_text("not a release")
    result = CliRunner().invoke(cli, [p.format(tmp=tmp_path) for p in path])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "Error: Missing option '--config' (or set APEACH_CAMPAIGN_CONFIG)" in result.output
    assert (tmp_path / "full" / "kept.txt").read_text() == "not a release"


def test_the_top_level_help_says_what_each_commands_own_help_says():
    ctx = click.Context(cli)
    for name in COMMANDS:
        first = (cli.get_command(ctx, name).help or "").strip().split("\n")[0]
        assert SHORT_HELP[name] == first, (
            f"SHORT_HELP[{name!r}] drifted from `apeach-ls {name} --help`"
        )


@pytest.mark.parametrize(
    "args",
    [
        ["payout", "status", "--config", "{c}"],
        ["payout", "--config", "{c}", "status"],
        ["payout", "show", "1", "--config", "{c}"],
        ["payout", "confirm", "1", "--config", "{c}"],
    ],
)
def test_payout_subcommands_take_config_before_or_after_the_subcommand(tmp_path, args):
    config = tmp_path / "campaign.toml"
    config.write_text(
        f'[campaign]\nname = "c"\ndatabase = "{tmp_path / "missing.db"}"\n', encoding="utf-8"
    )
    result = CliRunner().invoke(
        cli, [a.format(c=config) for a in args], env={"APEACH_CAMPAIGN_CONFIG": None}
    )
    # the config was read: the error names its (missing) ledger, not a missing --config
    assert (
        result.exit_code == 1
        and "missing.db" in result.output
        and "No such option" not in result.output
    )


def test_the_top_level_help_imports_none_of_the_heavy_libraries():
    """`apeach-ls --help` stays fast: the commands' modules (and the Label Studio SDK,
    scikit-learn, matplotlib, torch behind them) are imported only when a command runs."""
    import subprocess
    import sys

    probe = (
        "import sys\nfrom click.testing import CliRunner\nfrom apeach_ls.cli import cli\n"
        "assert CliRunner().invoke(cli, ['--help']).exit_code == 0\n"
        "print(sorted(m for m in ('label_studio_sdk', 'sklearn', 'matplotlib', 'torch', 'sqlalchemy') "
        "if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
