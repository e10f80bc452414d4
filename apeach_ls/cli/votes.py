"""``apeach-ls votes create|tally`` and ``apeach-ls managers``: the managers' vote round."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from ..aids import AidCache, SubmissionText, compute_aids
from ..campaign_config import CampaignConfig, load_config
from ..database import open_database
from ..labelstudio.campaign import generation_project_id
from ..labelstudio.connection import LabelStudioSettings, connect
from ..labelstudio.submissions import Submission, read_submissions
from ..labelstudio.vote_round import (
    add_vote_tasks,
    ensure_vote_projects,
    find_vote_projects,
    invite_url,
    missing_managers,
    tally_vote_projects,
    user_emails,
)
from ..prompts import Prompt
from ..votes import counted_agreement
from ..votes.agreement import AgreementScores
from ..votes.store import save_tallies
from .common import config_option, fail_cleanly, follow_steps, require_config, verdict_key


def _campaign_submissions(client, config: CampaignConfig) -> list[Submission]:
    project_id = generation_project_id(client, config.name)
    return sorted(
        read_submissions(client, project_id, verdict_key()), key=lambda s: s.annotation_id
    )


def _prompt_of(submission: Submission) -> Prompt:
    data = submission.prompt
    key = str(data.get("prompt_id", "topic")).rsplit("-", 1)[0] or "topic"
    return Prompt(
        key=key,
        topic=str(data.get("topic", "")),
        topic_eng=str(data.get("topic_eng", "")),
        guideline=str(data.get("guideline", "")),
    )


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
    to re-run, also after an interrupted run: each vote task carries its submission id,
    and only missing ones are imported. Each task shows the aids' hints (personal
    information, near-duplicates, copy-paste, topic relevance).

    \b
    Example:
      apeach-ls votes create --config campaign.toml
    """
    config = load_config(require_config(config_path))
    _require_managers(config)
    client = connect(LabelStudioSettings.from_env())
    submissions = _campaign_submissions(client, config)
    on_step = follow_steps()  # the progress bar and the lines below show the progress
    projects, steps = ensure_vote_projects(client, config.name, config.managers, on_step)
    for step in steps:
        click.echo(f"{step.what}: {step.outcome} ({step.detail})")
    for line in projects.warnings(config.name, config.managers):
        click.echo(f"warning: {line}", err=True)
    click.echo(f"computing aids for {len(submissions)} submissions ...", err=True)
    prompts = {}
    texts = []
    for s in submissions:
        prompt = _prompt_of(s)
        prompts.setdefault(prompt.key, prompt)
        texts.append(SubmissionText(s.annotation_id, s.corrected.text, prompt.key, s.writer_id))
    # Aids are computed once per submission: a re-run with nothing new reads them from a cache
    # file next to the config (deleting it only costs one slow run).
    with AidCache(config.path.parent / f"{config.name}.aids-cache.sqlite") as cache:
        aids = compute_aids(
            texts,
            prompts,
            config.reference_corpora,
            duplicate_threshold=config.duplicate_threshold,
            copy_threshold=config.copy_threshold,
            off_topic_below=config.off_topic_below,
            off_topic_without_words=config.off_topic_without_words,
            cache=cache,
        )
    reports = {}
    with click.progressbar(
        length=len(submissions) * len(projects.by_manager), label="adding vote tasks", file=None
    ) as bar:
        bar.update(0)
        for manager, project_id in projects.by_manager.items():
            reports[manager] = add_vote_tasks(
                client, project_id, submissions, aids, batch_size, bar.update, on_step
            )
    for manager, report in reports.items():
        click.echo(
            f"{manager}: {report.added} vote tasks added, {report.already_there} already there "
            f"(vote project {projects.by_manager[manager]})"
        )
    flagged = Counter(flag for a in aids.values() for flag in a.flags())
    if flagged:
        click.echo("aids flagged: " + ", ".join(f"{k} {v}" for k, v in sorted(flagged.items())))


def _require_managers(config: CampaignConfig) -> None:
    if not config.managers:
        raise click.ClickException(
            f"{config.path}: [votes] managers is empty; list the managers' e-mails"
        )


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
    or changed it since, and never on the manager's own sentence; the votes left out are
    counted by reason. The rule and k come from the config. Results are stored in the
    campaign database for payouts and the export; re-tallying after new votes updates
    them. Prints managers' agreement.

    \b
    Example:
      apeach-ls votes tally --config campaign.toml
    """
    config = load_config(require_config(config_path))
    _require_managers(config)
    client = connect(LabelStudioSettings.from_env())
    submissions = _campaign_submissions(client, config)
    projects = find_vote_projects(client, config.name, config.managers)
    for line in projects.warnings(config.name, config.managers):
        click.echo(f"warning: {line}", err=True)
    if not projects.by_manager:
        raise click.ClickException(
            f"Campaign {config.name!r} has no manager's vote project. "
            f"Run: apeach-ls votes create --config {config.path}"
        )
    results, readout = tally_vote_projects(
        client, projects, submissions, user_emails(client), config.managers, config.k, config.rule
    )
    save_tallies(open_database(config.database), results.values())
    outcomes = Counter(r.outcome for r in results.values())
    reasons = Counter(
        reason for r in results.values() if r.outcome == "dropped" for reason in r.reasons
    )
    ignored = Counter(i.why for r in results.values() for i in r.ignored)
    click.echo(
        f"{len(results)} submissions: {outcomes.get('accepted', 0)} accepted, "
        f"{outcomes.get('dropped', 0)} dropped, {outcomes.get('pending', 0)} pending "
        f"(rule {config.rule}, k={config.k})"
    )
    if reasons:
        click.echo("drop reasons: " + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())))
    if ignored:
        click.echo(
            "votes not counted: " + ", ".join(f"{k} {v}" for k, v in sorted(ignored.items()))
        )
    for line in readout.malformed:
        click.echo(f"malformed vote, not counted: {line}", err=True)
    agreement = counted_agreement(r.counted for r in results.values())
    click.echo("managers' agreement:")
    click.echo(_format_scores("keep/drop", agreement.decision))
    for reason, scores in agreement.reasons.items():
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
    config = load_config(require_config(config_path))
    settings = LabelStudioSettings.from_env()
    client = connect(settings)
    emails = user_emails(client)
    missing = missing_managers(config.managers, emails)
    for manager in config.managers:
        click.echo(
            f"{manager}: {'missing: needs to sign up' if manager in missing else 'has an account'}"
        )
    if missing:
        click.echo(
            f"invite link (sign up with the e-mail above): {invite_url(client, settings.url)}"
        )
