"""``apeach-ls writers`` and ``apeach-ls payout``: the roster, and paying writers for accepted work."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import click

from ..rewards.batches import BATCH_MARKED_COMMITTED, confirm_batch, rewrite_batch
from ..rewards.ledger import RecordReport, record_outcomes, writer_balances
from ..rewards.model import MTURK, format_money
from ..rewards.payout import (
    BATCH_RECORDED,
    PayoutPlan,
    check_payout,
    commit_payout,
    preview_payout,
)
from ..rewards.roster import import_roster, remove_writers
from ..rewards.status import payout_status, show_batch
from .common import (
    config_option,
    fail_cleanly,
    follow_steps,
    group_config_option,
    open_campaign,
    require_config,
)


@click.group()
def writers() -> None:
    """The writer roster: Label Studio accounts linked to the platform that pays them."""


@writers.command("import")
@click.argument("roster", type=click.Path(dir_okay=False, path_type=Path))
@config_option
@fail_cleanly
def import_command(roster: Path, config_path: Path | None) -> None:
    """Import ROSTER (CSV: ls_user,platform,platform_id[,age,gender,assignment_id]).

    ls_user is the writer's Label Studio e-mail or user id (the account must exist, and
    managers cannot be writers); platform is prolific, mturk or manual (a sheet for
    transfers you make yourself, in any currency); platform_id their Prolific participant
    id, MTurk worker id, or a payee reference; age (14-100) and gender (female or male)
    fill the dataset's demographic columns; assignment_id (MTurk workers) is one of their
    assignments, which MTurk's SendBonus needs. A re-import updates the writers it names:
    an empty cell or a missing column keeps what is stored. Needs LABEL_STUDIO_URL and
    LABEL_STUDIO_API_KEY to check the accounts.

    \b
    Example:
      apeach-ls writers import roster.csv --config campaign.toml
    """
    campaign = open_campaign(config_path)
    rewards = campaign.config.rewards
    currency = rewards.currency if rewards else None
    report = import_roster(campaign.database(create=True), roster, campaign.accounts(), currency)
    click.echo(
        f"{len(report.created)} writers added, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged"
    )
    if report.ignored_columns:
        click.echo(f"ignored columns (not stored): {', '.join(report.ignored_columns)}")


@writers.command("remove")
@click.argument("ls_users", nargs=-1, required=True)
@config_option
@click.option(
    "--yes", is_flag=True, help="Remove them; without it, only show what would be removed."
)
@fail_cleanly
def remove_command(ls_users: tuple[str, ...], config_path: Path | None, yes: bool) -> None:
    """Take writers off the roster (Label Studio e-mails or user ids).

    Their ledger entries and payout batches stay; what they earned and was not paid yet
    is held until their row is imported again. Without --yes nothing is removed.

    \b
    Example:
      apeach-ls writers remove w7@example.org --config campaign.toml --yes
    """
    campaign = open_campaign(config_path)
    engine = campaign.database()
    removed = remove_writers(engine, ls_users, campaign.accounts(), dry_run=not yes)
    balances = {b.writer_id: b for b in writer_balances(engine)}
    currency = campaign.currency()
    for r in removed:
        w = r.writer
        b = balances.get(w.writer_id) if w.writer_id is not None else None
        history = (
            f"earned {format_money(b.earned, currency)}, in payout batches {format_money(b.in_batches, currency)}"
            f" (confirmed paid {format_money(b.paid, currency)}), held from now on "
            f"{format_money(b.balance, currency)}"
            if b
            else "no ledger entries"
        )
        click.echo(
            f"{'removed' if yes else 'would remove'} {w.ls_email or 'user ' + str(w.writer_id)} "
            f"({w.platform or 'no platform'} {w.platform_id}); ledger history kept: {history}"
        )
    if not yes:
        click.echo("nothing was removed; run again with --yes to remove them")


def print_recorded(report: RecordReport) -> None:
    verb = "would record" if report.dry_run else "recorded"
    for action in ("recorded", "reversed", "held"):
        if report.count(action):
            click.echo(
                f"{verb if action == 'recorded' else action}: {report.count(action)} entries, "
                f"{format_money(report.amount(action), report.currency)}"
            )


def print_plan(plan: PayoutPlan) -> None:
    for writer in plan.writers:
        who = writer.writer_email or f"user {writer.writer_id}"
        kinds = defaultdict(int)
        for entry in writer.entries:
            kinds[entry.kind] += 1
        why = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        state = (
            f"held: {writer.held_reason}"
            if not writer.payable
            else f"to {writer.platform} {writer.platform_id}"
        )
        click.echo(f"  {who}: {format_money(writer.amount, plan.currency)} ({why}) {state}")
    platforms = "; ".join(
        f"{name}: {n} writer(s), {format_money(amount, plan.currency)}"
        for name, (n, amount) in plan.by_platform().items()
    )
    click.echo(
        f"total payable: {format_money(plan.total, plan.currency)} to {len(plan.payable)} writers"
        + (f" ({platforms})" if platforms else "")
        + (f"; {len(plan.held)} held" if plan.held else "")
    )
    if plan.problem:
        click.echo(f"problem: {plan.problem}", err=True)


def print_missing_assignment_ids(plan: PayoutPlan, committed: bool) -> None:
    """MTurk's SendBonus needs an assignment id per worker: say whose the roster lacks."""
    missing = plan.without_assignment_id
    if not missing:
        return
    who = ", ".join(w.writer_email or f"user {w.writer_id}" for w in missing[:5])
    who += ", ..." if len(missing) > 5 else ""
    advice = (
        "supply one for each when you upload the file"
        if committed
        else "add an assignment_id column to the roster and import it again before --commit"
    )
    click.echo(
        f"note: {len(missing)} payable {MTURK} worker(s) have no assignment_id in the roster ({who}); their "
        f"rows in mturk-bonuses.csv leave it empty, and MTurk's SendBonus needs one: {advice}",
        err=True,
    )


@click.group(invoke_without_command=True)
@group_config_option
@click.option(
    "--dry-run", is_flag=True, help="Show what would be recorded and paid; write nothing."
)
@click.option("--commit", is_flag=True, help="Record a payout batch and write its files.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("payouts"),
    show_default=True,
    help="Folder for the batch folders (statements, one file per platform).",
)
@click.pass_context
@fail_cleanly
def payout(
    ctx: click.Context, config_path: Path | None, dry_run: bool, commit: bool, out: Path
) -> None:
    """Pay writers for accepted sentences, exactly once (amounts from the config's [rewards]).

    Earnings are recorded from the latest tally: accepted sentences earn, dropped ones earn
    nothing (a sentence dropped after it was paid gets one adjustment entry), pending ones
    wait. --dry-run shows per writer what would be paid and why; --commit records a batch
    and writes its files: each writer in their platform's file only (prolific-bonuses.csv,
    mturk-bonuses.csv, manual-transfers.csv). The roster is checked against each platform's
    currency and id rules first. Upload the files, then confirm the batch paid with
    `payout confirm`. Re-running pays only what is new.

    \b
    Example:
      apeach-ls payout --config campaign.toml --dry-run
      apeach-ls payout --config campaign.toml --commit --out payouts
      apeach-ls payout --config campaign.toml confirm 1 --yes
      apeach-ls payout --config campaign.toml status
    """
    ctx.obj = config_path
    if ctx.invoked_subcommand is not None:
        return
    config_path = require_config(config_path)
    if dry_run == commit:
        raise click.UsageError("choose --dry-run (preview) or --commit (record and write files)")
    campaign = open_campaign(config_path)
    policy = campaign.config.require_rewards()
    engine = campaign.database()
    check_payout(engine, policy, out if commit else None)  # before anything is recorded
    outcomes = campaign.payout_outcomes()
    if dry_run:
        report, plan = preview_payout(engine, outcomes, policy)
        print_recorded(report)
        print_plan(plan)
        print_missing_assignment_ids(plan, committed=False)
        click.echo("dry run: nothing was written")
        return
    print_recorded(record_outcomes(engine, outcomes, policy))
    progress = {
        BATCH_RECORDED: "payout batch recorded in the ledger; writing its files ...",
        BATCH_MARKED_COMMITTED: "payout batch files written and marked in the ledger",
    }
    result = commit_payout(engine, policy, out, on_step=follow_steps(progress))
    print_plan(result.plan)
    if result.batch_id is not None:
        print_missing_assignment_ids(result.plan, committed=True)
    for batch_id in result.finished_batches:
        click.echo(f"finished batch {batch_id} left by an interrupted run")
    for moved in result.moved:
        click.echo(
            f"batch {moved.batch_id} could not be written to {moved.moved_from}, where its files never were; "
            f"written to {moved.directory} instead"
        )
    for batch_id in result.finished_batches:
        click.echo(
            f"  upload batch {batch_id}'s files, then run: apeach-ls payout confirm {batch_id} --yes"
        )
    if result.batch_id is None:
        click.echo("nothing new to pay")
        return
    click.echo(f"batch {result.batch_id}: files written to {result.directory}")
    for path in result.files:
        click.echo(f"  {path}")
    click.echo(
        f"not paid yet: upload the platform files (pay the manual transfers), then run: "
        f"apeach-ls payout confirm {result.batch_id} --yes"
    )


@payout.command()
@group_config_option
@click.pass_obj
@fail_cleanly
def status(group_config: Path | None, config_path: Path | None) -> None:
    """Earned, paid, awaiting confirmation and owed per writer, and every batch.

    Paid counts only batches confirmed with `payout confirm`; a batch whose files were
    written but not confirmed is "files written".

    \b
    Example:
      apeach-ls payout --config campaign.toml status
    """
    campaign = open_campaign(config_path or group_config)
    config = campaign.config
    state = payout_status(campaign.database())
    currency = config.rewards.currency if config.rewards else (state.currency or "KRW")
    if state.currency and state.currency != currency:
        raise click.ClickException(
            f"the ledger is kept in {state.currency} but {config.path} says {currency}; "
            "a campaign keeps one currency: check --config"
        )

    def money(amount: int) -> str:
        return format_money(amount, currency)

    for w in state.writers:
        click.echo(
            f"  {w.writer_email or 'user ' + str(w.writer_id)}: earned {money(w.earned)}, paid "
            f"{money(w.paid)}, awaiting confirmation {money(w.awaiting)}, owed {money(w.balance)}"
        )
    for b in state.batches:
        click.echo(
            f"  batch {b.id} ({b.state}): {money(b.total)} to {b.writers} writers, {b.directory}"
        )
    click.echo(
        f"total earned {money(state.earned)}, paid {money(state.paid)}, awaiting confirmation "
        f"{money(state.awaiting)}, owed {money(state.owed)}"
    )
    if not state.writers and not state.batches:
        click.echo(f"the ledger {config.database} has no entries yet", err=True)


@payout.command()
@click.argument("batch", type=int)
@group_config_option
@click.pass_obj
@fail_cleanly
def show(group_config: Path | None, config_path: Path | None, batch: int) -> None:
    """One batch: its writers, their entries, and whether its files still match the ledger.

    \b
    Example:
      apeach-ls payout --config campaign.toml show 1
    """
    view = show_batch(open_campaign(config_path or group_config).database(), batch)
    paid = f", paid {view.batch.paid_at}" if view.batch.paid_at else ""
    click.echo(f"batch {view.batch.id} ({view.batch.state}{paid}), {view.batch.directory}")
    for item in view.items:
        platform = f"{item.platform} " if item.platform else ""
        click.echo(
            f"  {item.writer_email or item.writer_id} -> {platform}{item.platform_id}: "
            f"{format_money(item.amount, view.batch.currency)} for submissions "
            f"{', '.join(str(e.submission_id) for e in item.entries)}"
        )
    click.echo(f"total {format_money(view.total, view.batch.currency)}")
    for problem in view.problems:
        click.echo(f"problem: {problem}", err=True)
    if view.problems:
        raise click.ClickException(f"batch {batch}'s files do not match the ledger")


@payout.command()
@click.argument("batch", type=int)
@group_config_option
@click.pass_obj
@fail_cleanly
def rewrite(group_config: Path | None, config_path: Path | None, batch: int) -> None:
    """Write the folder of committed BATCH again from the ledger, after it was lost.

    The files get the same bytes as when the batch was committed. Refused while the folder
    exists (`payout show` compares it with the ledger) or the batch is still being prepared
    (the next payout run completes it).

    \b
    Example:
      apeach-ls payout --config campaign.toml rewrite 1
    """
    files = rewrite_batch(open_campaign(config_path or group_config).database(), batch)
    click.echo(f"batch {batch}: {len(files)} file(s) written again from the ledger")


@payout.command()
@click.argument("batch", type=int)
@click.option(
    "--yes", is_flag=True, help="Record it as paid; without it, only show what would be confirmed."
)
@group_config_option
@click.pass_obj
@fail_cleanly
def confirm(group_config: Path | None, config_path: Path | None, batch: int, yes: bool) -> None:
    """Record that BATCH was paid, after you uploaded its files (and made its manual transfers).

    Until then `payout status` counts the batch as "files written", not paid. Refused when
    the batch's files differ from the ledger. Confirming twice changes nothing.

    \b
    Example:
      apeach-ls payout --config campaign.toml confirm 1 --yes
    """
    engine = open_campaign(config_path or group_config).database()
    done = confirm_batch(engine, batch, dry_run=not yes)
    money = format_money(done.total, done.batch.currency)
    if done.already:
        click.echo(
            f"batch {batch} was already confirmed paid at {done.batch.paid_at} ({money}); nothing changed"
        )
        return
    if done.missing_files:
        click.echo(
            f"note: batch {batch}'s folder {done.batch.directory} is gone; confirming from the ledger",
            err=True,
        )
    if not yes:
        click.echo(
            f"would confirm batch {batch} paid: {money}; nothing was changed; run again with --yes once its "
            "files are uploaded"
        )
        return
    click.echo(f"batch {batch} confirmed paid at {done.batch.paid_at}: {money}")


# writers quality / writers release (apeach_ls/cli/writer_quality.py)
from .writer_quality import quality_command, release_command  # noqa: E402

writers.add_command(quality_command)
writers.add_command(release_command)
