"""``apeach-ls votes create|tally`` and ``apeach-ls managers``: the managers' vote round."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from ..campaign import outcomes_line
from ..votes.agreement import AgreementScores
from ..votes.model import DROPPED, SENTENCE_CHANGED
from .common import config_option, fail_cleanly, follow_steps, open_campaign


@click.group()
def votes() -> None:
    """The managers' vote round: k managers drop copied, private-person or off-topic sentences.

    Each manager votes in a vote project of their own; only their own, unchanged votes
    there count.
    """


@votes.command("create")
@config_option
@click.option(
    "--batch-size",
    type=click.IntRange(1, 5000),
    default=1000,
    show_default=True,
    help="Vote tasks per import call.",
)
@fail_cleanly
def create_command(config_path: Path | None, batch_size: int) -> None:
    """Create or update each manager's vote project and add one vote task per new submission.

    Every manager listed in the config gets a vote project of their own, with a vote
    task for every submission; managers then vote in their own project only (votes cast
    by anyone else there, or changed by anyone else, do not count). Incremental and safe
    to re-run, also after an interrupted run: each vote task carries its submission id
    and the version of its sentence, and only missing ones are imported. A sentence its
    writer rewrote (text, intent or label) since its vote task was made gets a task for
    the new version: votes on the old one no longer count. Each task shows the aids' hints (personal
    information, near-duplicates, copy-paste, topic relevance).

    \b
    Example:
      apeach-ls votes create --config campaign.toml
    """
    campaign = open_campaign(config_path)
    with click.progressbar(
        length=campaign.vote_task_count(), label="adding vote tasks", file=None
    ) as bar:
        bar.update(0)
        # the progress bar and the lines below show the progress
        done = campaign.add_vote_tasks(batch_size, advance=bar.update, on_step=follow_steps())
    for step in done.steps:
        click.echo(f"{step.what}: {step.outcome} ({step.detail})")
    for manager, report in done.added.items():
        rewritten = f" ({report.rewritten} for a rewritten sentence)" if report.rewritten else ""
        click.echo(
            f"{manager}: {report.added} vote tasks added{rewritten}, {report.already_there} "
            f"already there (vote project {done.projects[manager]})"
        )
    flagged = Counter(flag for a in done.aids.values() for flag in a.flags())
    if flagged:
        click.echo("aids flagged: " + ", ".join(f"{k} {v}" for k, v in sorted(flagged.items())))


def _format_scores(name: str, scores: AgreementScores) -> str:
    def value(c):
        return f"{c.value:.3f}" if c.value is not None else f"n/a ({c.note})"

    return (
        f"  {name:<16} Fleiss' kappa {value(scores.fleiss_kappa):<12} Krippendorff's alpha "
        f"{value(scores.krippendorff_alpha)}"
    )


@votes.command("tally")
@config_option
@fail_cleanly
def tally_command(config_path: Path | None) -> None:
    """Tally the votes: accepted, dropped (with the majority's reasons) or pending.

    Reads every manager's own vote project. A vote counts only when a manager of the
    config cast it in their own project and no other account created it in their name
    or changed it since, never on the manager's own sentence, and only while the sentence
    is the version the vote task showed (a sentence its writer rewrote since is pending
    until the managers vote on the new version); the votes left out are counted by reason. The rule and k come from the config. Results are stored in the
    campaign database for payouts and the export; re-tallying after new votes updates
    them. Prints managers' agreement.

    \b
    Example:
      apeach-ls votes tally --config campaign.toml
    """
    campaign = open_campaign(config_path)
    tally = campaign.tally_votes()
    results = tally.results.values()
    reasons = Counter(reason for r in results if r.outcome == DROPPED for reason in r.reasons)
    ignored = Counter(i.why for r in results for i in r.ignored)
    config = campaign.config
    click.echo(
        f"{len(tally.results)} submissions: {outcomes_line(r.outcome for r in results)} "
        f"(rule {config.rule}, k={config.k})"
    )
    if reasons:
        click.echo("drop reasons: " + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())))
    if ignored:
        click.echo(
            "votes not counted: " + ", ".join(f"{k} {v}" for k, v in sorted(ignored.items()))
        )
    rewritten = ignored.get(SENTENCE_CHANGED, 0)
    if rewritten:
        click.echo(
            f"{rewritten} votes not counted as sentence_changed: the writer rewrote the "
            f"sentence since; run apeach-ls votes create to add vote tasks for the new versions"
        )
    for line in tally.readout.malformed:
        click.echo(f"malformed vote, not counted: {line}", err=True)
    click.echo("managers' agreement:")
    click.echo(_format_scores("keep/drop", tally.agreement.decision))
    for reason, scores in tally.agreement.reasons.items():
        click.echo(_format_scores(reason, scores))


@click.command()
@config_option
@fail_cleanly
def managers(config_path: Path | None) -> None:
    """Show which managers have a Label Studio account, and the invite link for the rest.

    Label Studio open source has no roles: the campaign's config lists its managers by
    e-mail, and only their votes count. Managers sign up through the invite link with
    the e-mail listed in the config. Label Studio does not verify e-mail addresses:
    make sure each account listed as having one is the manager's own.

    \b
    Example:
      apeach-ls managers --config campaign.toml
    """
    campaign = open_campaign(config_path)
    missing = campaign.missing_managers()
    for manager in campaign.config.managers:
        click.echo(
            f"{manager}: {'missing: needs to sign up' if manager in missing else 'has an account'}"
        )
    if missing:
        click.echo(f"invite link (sign up with the e-mail above): {campaign.invite_url()}")
