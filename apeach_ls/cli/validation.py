"""``apeach-ls validation create|tally``: other people check the labels of fooled sentences."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from ..validation.model import REJECTED, UNDECIDED, VERIFIED
from .common import config_option, fail_cleanly, open_campaign


@click.group()
def validation() -> None:
    """Validation of fooled sentences: other people say whether the writer's label is right.

    Optional, off by default ([validation] enabled = true in the campaign config). Each
    validator answers in a project of their own and never gets a sentence they wrote.
    """


@validation.command("create")
@config_option
@click.option(
    "--batch-size",
    type=click.IntRange(1, 5000),
    default=1000,
    show_default=True,
    help="Validation tasks per import call.",
)
@fail_cleanly
def create_command(config_path: Path | None, batch_size: int) -> None:
    """Create each validator's project and give out the fooled sentences that need answers.

    A fooled sentence goes to two validators first; when their answers disagree, to one
    more at a time, up to five answers (a majority of five decides). A validator never
    gets a sentence they wrote. Run it again after `validation tally` shows sentences that
    need more answers; a re-run with nothing new adds nothing.

    \b
    Example:
      apeach-ls validation create --config campaign.toml
    """
    done = open_campaign(config_path).add_validation_tasks(batch_size)
    for step in done.steps:
        click.echo(f"{step.what}: {step.outcome} ({step.detail})")
    for validator, n in done.added.items():
        click.echo(
            f"{validator}: {n} validation tasks added, {done.already_there[validator]} "
            f"already there (validation project {done.projects[validator]})"
        )
    _summary(done.results)


def _summary(results) -> None:  # type: ignore[no-untyped-def]
    status = Counter(r.decision.status for r in results.values())
    waiting = sum(1 for r in results.values() if r.decision.needs_more)
    click.echo(
        f"{len(results)} fooled sentences: {status.get(VERIFIED, 0)} verified, "
        f"{status.get(REJECTED, 0)} rejected, {status.get(UNDECIDED, 0)} undecided "
        f"({waiting} need more answers)"
    )


@validation.command("tally")
@config_option
@fail_cleanly
def tally_command(config_path: Path | None) -> None:
    """Tally the answers: each fooled sentence verified, rejected or undecided.

    An answer counts only when a validator of the config made it in their own project, no
    other account made or changed it, and the sentence is not their own; after two
    agreeing answers (or a majority of five) later answers are not counted. Results are
    stored in the campaign database (vMER and the verified-only fooled bonus read them);
    re-tallying updates them.

    \b
    Example:
      apeach-ls validation tally --config campaign.toml
    """
    tally = open_campaign(config_path).tally_validation()
    results = tally.results
    _summary(results)
    ignored = Counter(i.why for r in results.values() for i in r.ignored)
    if ignored:
        click.echo(
            "answers not counted: " + ", ".join(f"{k} {v}" for k, v in sorted(ignored.items()))
        )
    for line in tally.malformed:
        click.echo(f"malformed answer, not counted: {line}", err=True)
