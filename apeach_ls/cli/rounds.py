"""``apeach-ls rounds start|pin|list|metrics``: the campaign's rounds and how often writers
fooled the model in each (MER, vMER)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import click

from ..rounds import CAMPAIGN_START, DIMENSIONS, METRIC_COLUMNS, current_rounds, metric_rows
from .common import config_option, fail_cleanly, open_campaign


@click.group()
def rounds() -> None:
    """Rounds: named periods of the campaign, with the model version(s) in the loop.

    A campaign that never names a round has one, round-1. A submission belongs to the
    latest round started before its verdict was given (the receipt's signed time; without
    a verified verdict, when it was made); the receipt says which model version it fooled. `rounds metrics` shows MER (fooled / submitted) and vMER
    (verified fooled / submitted) per round, topic, writer or model version.
    """


def _started(at: datetime) -> str:
    return "the campaign's beginning" if at == CAMPAIGN_START else at.isoformat(timespec="seconds")


@rounds.command("start")
@config_option
@click.argument("name")
@fail_cleanly
def start_command(config_path: Path | None, name: str) -> None:
    """Start round NAME now: submissions from now on belong to it.

    The first round named in a campaign that had none keeps the submissions made before
    in round-1. Starting a round that exists is refused. Retrain and publish the model
    (apeach-ls models ...) when you start a round, then pin its version.

    \b
    Example:
      apeach-ls rounds start round-2 --config campaign.toml
      apeach-ls rounds pin round-2 ngram-20261201-1 --config campaign.toml
    """
    stored = open_campaign(config_path).start_round(name, datetime.now(UTC))
    started = next(r for r in stored if r.name == name)
    click.echo(f"round {name} started at {started.started_at.isoformat(timespec='seconds')}")
    if len(stored) == 2 and stored[0].started_at == CAMPAIGN_START:
        click.echo(f"submissions made before it stay in {stored[0].name}")


@rounds.command("pin")
@config_option
@click.argument("name")
@click.argument("model_version")
@fail_cleanly
def pin_command(config_path: Path | None, name: str, model_version: str) -> None:
    """Record MODEL_VERSION as a model in the loop during round NAME (re-pinning is a no-op).

    \b
    Example:
      apeach-ls rounds pin round-2 ngram-20261201-1 --config campaign.toml
    """
    pinned = open_campaign(config_path).pin_round(name, model_version)
    click.echo(f"round {name}: model versions {', '.join(pinned.model_versions)}")


@rounds.command("list")
@config_option
@fail_cleanly
def list_command(config_path: Path | None) -> None:
    """List the campaign's rounds: name, start, pinned model versions.

    \b
    Example:
      apeach-ls rounds list --config campaign.toml
    """
    stored = open_campaign(config_path).rounds()
    for r in current_rounds(stored):
        pinned = ", ".join(r.model_versions) or "none pinned"
        implicit = "" if stored else " (no round named yet: the whole campaign)"
        click.echo(f"{r.name}\tfrom {_started(r.started_at)}\tmodels: {pinned}{implicit}")


def format_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return [
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
        for row in cells
    ]


@rounds.command("metrics")
@config_option
@click.option(
    "--by",
    type=click.Choice(DIMENSIONS),
    default="round",
    show_default=True,
    help="Count per round, topic, writer (e-mail) or model version of the verdict.",
)
@fail_cleanly
def metrics_command(config_path: Path | None, by: str) -> None:
    """Submitted, fooled, MER, verified fooled, vMER and dropped sentences.

    Reads every submission from Label Studio and the tallies and rounds from the
    campaign database. Fooled: the writer flipped a verified verdict (MER = fooled /
    submitted). Verified fooled: and the managers' vote accepted the sentence, or, with
    [validation] on, validators agreed with the writer's label (`validation tally`) and
    the managers did not drop it (vMER = verified fooled / submitted). Dropped: the managers' vote dropped it. A submission
    whose verdict did not verify has model version "" and is never fooled.

    \b
    Example:
      apeach-ls rounds metrics --config campaign.toml --by model_version
    """
    counts = open_campaign(config_path).fooling_metrics(by)  # type: ignore[arg-type]
    header = ("model version (of the verdict)" if by == "model_version" else by, *METRIC_COLUMNS)
    empty = "(no verified verdict)" if by == "model_version" else "(none)"
    rows = [(key or empty, *rest) for key, *rest in metric_rows(counts)]
    for line in format_table(header, rows):
        click.echo(line.rstrip())
