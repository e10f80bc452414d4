"""``apeach-ls writers import`` and ``apeach-ls payout``: paying writers for accepted work."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import click
from sqlalchemy import Engine

from ..campaign_config import CampaignConfig, load_config
from ..labelstudio.campaign import generation_project_id
from ..labelstudio.connection import LabelStudioSettings, connect
from ..labelstudio.submissions import read_submissions
from ..labelstudio.vote_round import user_emails
from ..rewards.db import open_ledger
from ..rewards.ledger import RecordReport, record_outcomes
from ..rewards.model import PENDING, SubmissionOutcome, format_money
from ..rewards.payout import PayoutPlan, commit_payout, preview_payout
from ..rewards.providers import MTurkProvider, default_providers
from ..rewards.roster import import_roster
from ..rewards.status import payout_status, show_batch
from ..votes.store import load_tallies
from .common import config_option, fail_cleanly, require_config, verdict_key


@click.group()
def writers() -> None:
    """The writer roster: Label Studio accounts linked to crowd-platform ids."""


@writers.command("import")
@click.argument("roster", type=click.Path(dir_okay=False, path_type=Path))
@config_option
@fail_cleanly
def import_command(roster: Path, config_path: Path | None) -> None:
    """Import ROSTER (CSV: ls_user,platform_id[,age,gender,assignment_id]); a re-import updates.

    ls_user is the writer's Label Studio e-mail or user id; platform_id their Prolific
    participant id or MTurk worker id; age and gender are only used for the dataset's
    demographic columns; assignment_id (MTurk workers) is one of their assignments, which
    MTurk's SendBonus needs to pay a bonus.

    \b
    Example:
      apeach-ls writers import roster.csv --config campaign.toml
    """
    config = load_config(require_config(config_path))
    report = import_roster(open_ledger(config.database), roster)
    click.echo(f"{len(report.created)} writers added, {len(report.updated)} updated, "
               f"{len(report.unchanged)} unchanged")
    if report.ignored_columns:
        click.echo(f"ignored columns (not stored): {', '.join(report.ignored_columns)}")


def campaign_outcomes(config: CampaignConfig, engine: Engine) -> list[SubmissionOutcome]:
    """Every submission with its stored vote outcome (pending until tallied)."""
    client = connect(LabelStudioSettings.from_env())
    project_id = generation_project_id(client, config.name)
    tallies = load_tallies(engine)
    if not tallies:
        raise click.ClickException(f"No submission of {config.name!r} was tallied yet. "
                                   f"Run: apeach-ls votes tally --config {config.path}")
    emails = user_emails(client)
    return [SubmissionOutcome(submission_id=s.annotation_id, writer_ls_id=int(s.writer_id or 0),
                              writer_email=emails.get(s.writer_id or -1),
                              outcome=tallies[s.annotation_id].outcome if s.annotation_id in tallies else PENDING,
                              fooled=s.corrected.fooled)
            for s in read_submissions(client, project_id, verdict_key())]


def print_recorded(report: RecordReport) -> None:
    verb = "would record" if report.dry_run else "recorded"
    for action in ("recorded", "reversed", "held"):
        if report.count(action):
            click.echo(f"{verb if action == 'recorded' else action}: {report.count(action)} entries, "
                       f"{format_money(report.amount(action), report.currency)}")


def print_plan(plan: PayoutPlan) -> None:
    for writer in plan.writers:
        who = writer.writer_email or f"user {writer.writer_ls_id}"
        kinds = defaultdict(int)
        for entry in writer.entries:
            kinds[entry.kind] += 1
        why = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        state = f"held: {writer.held_reason}" if not writer.payable else f"to {writer.platform_id}"
        click.echo(f"  {who}: {format_money(writer.amount, plan.currency)} ({why}) {state}")
    click.echo(f"total payable: {format_money(plan.total, plan.currency)} to {len(plan.payable)} writers"
               + (f"; {len(plan.held)} held" if plan.held else ""))
    if plan.problem:
        click.echo(f"problem: {plan.problem}", err=True)


def print_missing_assignment_ids(plan: PayoutPlan, committed: bool) -> None:
    """MTurk's SendBonus needs an assignment id per worker: say whose the roster lacks."""
    missing = plan.without_assignment_id
    if not missing or MTurkProvider.name not in {p.name for p in default_providers(plan.currency)}:
        return
    who = ", ".join(w.writer_email or f"user {w.writer_ls_id}" for w in missing[:5])
    who += ", ..." if len(missing) > 5 else ""
    advice = ("supply one for each when you upload the file" if committed else
              "if they are MTurk workers, add an assignment_id column to the roster and import it again "
              "before --commit")
    click.echo(f"note: {len(missing)} payable writer(s) have no assignment_id in the roster ({who}); their rows in "
               f"mturk-bonuses.csv leave it empty, and MTurk's SendBonus needs one: {advice}", err=True)


@click.group(invoke_without_command=True)
@config_option
@click.option("--dry-run", is_flag=True, help="Show what would be recorded and paid; write nothing.")
@click.option("--commit", is_flag=True, help="Record a payout batch and write its files.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("payouts"),
              show_default=True, help="Folder for the batch folders (statements, Prolific, MTurk files).")
@click.pass_context
@fail_cleanly
def payout(ctx: click.Context, config_path: Path | None, dry_run: bool, commit: bool, out: Path) -> None:
    """Pay writers for accepted sentences, exactly once (amounts from the config's [rewards]).

    Earnings are recorded from the latest tally: accepted sentences earn, dropped ones earn
    nothing (a sentence dropped after it was paid gets one adjustment entry), pending ones
    wait. --dry-run shows per writer what would be paid and why; --commit records a batch
    and writes its files. Re-running pays only what is new.

    \b
    Example:
      apeach-ls payout --config campaign.toml --dry-run
      apeach-ls payout --config campaign.toml --commit --out payouts
      apeach-ls payout --config campaign.toml status
    """
    ctx.obj = config_path
    if ctx.invoked_subcommand is not None:
        return
    if dry_run == commit:
        raise click.UsageError("choose --dry-run (preview) or --commit (record and write files)")
    config = load_config(require_config(config_path))
    policy = config.require_rewards()
    engine = open_ledger(config.database)
    outcomes = campaign_outcomes(config, engine)
    if dry_run:
        report, plan = preview_payout(engine, outcomes, policy)
        print_recorded(report)
        print_plan(plan)
        print_missing_assignment_ids(plan, committed=False)
        click.echo("dry run: nothing was written")
        return
    print_recorded(record_outcomes(engine, outcomes, policy))
    result = commit_payout(engine, policy, out)
    print_plan(result.plan)
    if result.batch_id is not None:
        print_missing_assignment_ids(result.plan, committed=True)
    for batch_id in result.finished_batches:
        click.echo(f"finished batch {batch_id} left by an interrupted run")
    if result.batch_id is None:
        click.echo("nothing new to pay")
    else:
        click.echo(f"batch {result.batch_id} committed: {result.directory}")
        for path in result.files:
            click.echo(f"  {path}")


@payout.command()
@click.pass_obj
@fail_cleanly
def status(config_path: Path | None) -> None:
    """Earned, paid and owed per writer, and every batch.

    \b
    Example:
      apeach-ls payout --config campaign.toml status
    """
    state = payout_status(open_ledger(load_config(require_config(config_path)).database))
    currency = state.currency or "KRW"
    for w in state.writers:
        click.echo(f"  {w.writer_email or 'user ' + str(w.writer_ls_id)}: earned {format_money(w.earned, currency)}, "
                   f"paid {format_money(w.paid, currency)}, owed {format_money(w.balance, currency)}")
    for b in state.batches:
        click.echo(f"  batch {b.id} ({b.status}): {format_money(b.total, currency)} to {b.writers} writers, {b.directory}")
    click.echo(f"total earned {format_money(state.earned, currency)}, paid {format_money(state.paid, currency)}, "
               f"owed {format_money(state.owed, currency)}")


@payout.command()
@click.argument("batch", type=int)
@click.pass_obj
@fail_cleanly
def show(config_path: Path | None, batch: int) -> None:
    """One batch: its writers, their entries, and whether its files still match the ledger.

    \b
    Example:
      apeach-ls payout --config campaign.toml show 1
    """
    view = show_batch(open_ledger(load_config(require_config(config_path)).database), batch)
    click.echo(f"batch {view.batch.id} ({view.batch.status}), {view.batch.directory}")
    for item in view.items:
        click.echo(f"  {item.writer_email or item.writer_ls_id} -> {item.platform_id}: "
                   f"{format_money(item.amount, view.batch.currency)} for submissions "
                   f"{', '.join(str(e.submission_id) for e in item.entries)}")
    click.echo(f"total {format_money(view.total, view.batch.currency)}")
    for problem in view.problems:
        click.echo(f"problem: {problem}", err=True)
    if view.problems:
        raise click.ClickException(f"batch {batch}'s files do not match the ledger")
