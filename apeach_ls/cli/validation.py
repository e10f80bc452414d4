"""``apeach-ls validation create|tally``: other people check the labels of fooled sentences."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from ..campaign_config import CampaignConfig, load_config
from ..database import open_database
from ..errors import ConfigError
from ..labelstudio.connection import LabelStudioSettings, connect
from ..labelstudio.projects import generation_project_id
from ..labelstudio.submissions import Submission, read_submissions
from ..labelstudio.validation_round import (
    add_assignments,
    ensure_validation_projects,
    find_validation_projects,
    read_answers,
    tally_validation,
)
from ..labelstudio.vote_round import missing_managers, user_emails
from ..validation.model import REJECTED, UNDECIDED, VERIFIED
from ..validation.store import save_validation
from .common import config_option, fail_cleanly, require_config, verdict_key


def _require_validation(config: CampaignConfig) -> None:
    if not config.validation:
        raise ConfigError(
            f"{config.path}: validation is off; set enabled = true in [validation] to validate "
            "fooled sentences"
        )
    if not config.validators:
        raise ConfigError(
            f"{config.path}: [validation] validators is empty and there are no managers; "
            "list the validators' e-mails"
        )


def _submissions(client, config: CampaignConfig) -> list[Submission]:  # type: ignore[no-untyped-def]
    project_id = generation_project_id(client, config.name)
    return sorted(
        read_submissions(client, project_id, verdict_key()), key=lambda s: s.submission_id
    )


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
    config = load_config(require_config(config_path))
    _require_validation(config)
    client = connect(LabelStudioSettings.from_env())
    submissions = _submissions(client, config)
    projects, steps = ensure_validation_projects(client, config.name, config.validators)
    for step in steps:
        click.echo(f"{step.what}: {step.outcome} ({step.detail})")
    emails = user_emails(client)
    for validator in missing_managers(config.validators, emails):
        click.echo(
            f"warning: validator {validator} has no Label Studio account: no sentence is given "
            "to them until they sign up (`apeach-ls managers` prints the invite link)",
            err=True,
        )
    readout = read_answers(client, projects, emails)
    results = tally_validation(readout, submissions, emails, config.validators)
    added = add_assignments(client, projects, submissions, emails, readout, results, batch_size)
    for validator, n in added.items():
        click.echo(
            f"{validator}: {n} validation tasks added, {len(readout.assigned[validator])} "
            f"already there (validation project {projects[validator]})"
        )
    _summary(results)


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
    config = load_config(require_config(config_path))
    _require_validation(config)
    client = connect(LabelStudioSettings.from_env())
    projects = find_validation_projects(client, config.name, config.validators)
    if not projects:
        raise click.ClickException(
            f"Campaign {config.name!r} has no validation project. "
            f"Run: apeach-ls validation create --config {config.path}"
        )
    emails = user_emails(client)
    readout = read_answers(client, projects, emails)
    results = tally_validation(readout, _submissions(client, config), emails, config.validators)
    save_validation(open_database(config.database), results.values())
    _summary(results)
    ignored = Counter(i.why for r in results.values() for i in r.ignored)
    if ignored:
        click.echo(
            "answers not counted: " + ", ".join(f"{k} {v}" for k, v in sorted(ignored.items()))
        )
    for line in readout.malformed:
        click.echo(f"malformed answer, not counted: {line}", err=True)
