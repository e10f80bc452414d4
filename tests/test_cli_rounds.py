"""``apeach-ls rounds start|pin|list`` on a real campaign database (no Label Studio needed)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from apeach_ls.cli.rounds import rounds
from apeach_ls.database import open_database
from apeach_ls.rounds import CAMPAIGN_START, DEFAULT_ROUND
from apeach_ls.rounds_store import load_rounds


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "campaign.toml"
    path.write_text(
        f'[campaign]\nname = "c1"\ndatabase = "{tmp_path / "campaign.db"}"\n', encoding="utf-8"
    )
    return path


def run(config, *args):
    return CliRunner().invoke(
        rounds, [*args, "--config", str(config)], env={"APEACH_DATABASE_URL": None}
    )


def test_start_pin_and_list_rounds(config, tmp_path):
    listed = run(config, "list")
    assert listed.exit_code == 0, listed.output
    assert listed.output == (
        "round-1\tfrom the campaign's beginning\tmodels: none pinned "
        "(no round named yet: the whole campaign)\n"
    )
    assert (
        run(config, "pin", DEFAULT_ROUND, "ngram-a").output
        == "round round-1: model versions ngram-a\n"
    )
    before = datetime.now(UTC)
    started = run(config, "start", "round-2")
    assert started.exit_code == 0, started.output
    assert started.output.startswith("round round-2 started at ")
    assert run(config, "pin", "round-2", "ngram-b").exit_code == 0
    again = run(config, "pin", "round-2", "ngram-b")  # re-pinning changes nothing
    assert again.output == "round round-2: model versions ngram-b\n"

    stored = load_rounds(open_database(tmp_path / "campaign.db"), "c1")
    assert [(r.name, r.model_versions) for r in stored] == [
        (DEFAULT_ROUND, ("ngram-a",)),
        ("round-2", ("ngram-b",)),
    ]
    assert stored[0].started_at == CAMPAIGN_START and stored[1].started_at >= before
    assert stored[1].started_at.tzinfo is not None
    assert load_rounds(open_database(tmp_path / "campaign.db"), "another campaign") == []
    lines = run(config, "list").output.splitlines()
    assert lines[0] == "round-1\tfrom the campaign's beginning\tmodels: ngram-a"
    assert lines[1].startswith("round-2\tfrom 20") and lines[1].endswith("\tmodels: ngram-b")


@pytest.mark.parametrize(
    "args,message",
    [
        (("start", "round 2"), "Error: round name 'round 2' is not allowed"),
        (("pin", "round-9", "v1"), "Error: no round 'round-9' in this campaign"),
        (("pin", DEFAULT_ROUND, "two words"), "Error: model version 'two words' is not"),
    ],
)
def test_bad_names_are_refused_and_nothing_is_stored(config, tmp_path, args, message):
    refused = run(config, *args)
    assert refused.exit_code == 1 and message in refused.output
    assert load_rounds(open_database(tmp_path / "campaign.db"), "c1") == []


def test_a_round_is_started_once(config):
    assert run(config, "start", "r1").exit_code == 0
    twice = run(config, "start", "r1")
    assert twice.exit_code == 1 and "Error: round 'r1' was already started at" in twice.output


def test_commands_need_a_config(tmp_path):
    missing = CliRunner().invoke(rounds, ["list"], env={"APEACH_CAMPAIGN_CONFIG": None})
    assert missing.exit_code == 2 and "Missing option '--config'" in missing.output
