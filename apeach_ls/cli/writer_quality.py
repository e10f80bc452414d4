"""``apeach-ls writers quality`` and ``apeach-ls writers release``: writers over the campaign's
quality thresholds are held for review; an admin releases them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from ..writer_quality import WriterQuality, over_thresholds
from .common import config_option, fail_cleanly, open_campaign


def _line(who: str, q: WriterQuality) -> str:
    reasons = ", ".join(f"{r} {n}" for r, n in sorted(q.drops_by_reason.items()))
    since = f" since {q.since.isoformat(timespec='seconds')}" if q.since else ""
    return (
        f"{who}: {q.sentences} sentences{since}, fooled {q.fooled_rate:.2f}, dropped "
        f"{q.dropped}/{q.decided}{f' ({reasons})' if reasons else ''}, near-duplicates "
        f"{q.near_duplicates}, copy-paste {q.copy_paste}, unverified verdicts {q.unverified}"
    )


@click.command("quality")
@config_option
@click.option("--dry-run", is_flag=True, help="List the writers; hold no one.")
@fail_cleanly
def quality_command(config_path: Path | None, dry_run: bool) -> None:
    """Per writer: sentences, fooled rate, drops by reason, near-duplicates, copy-paste hits,
    unverified verdicts; writers over the [quality] thresholds are held for review.

    A held writer's sentences made from the moment they are held on are not paid until
    `apeach-ls writers release` releases them (then each is paid once). After a release
    the figures count from the release on. Reads the stored tally (`votes tally`) and the
    aids; re-running holds no one twice.

    \b
    Example:
      apeach-ls writers quality --config campaign.toml
    """
    campaign = open_campaign(config_path)
    config = campaign.config
    found = campaign.writer_quality(hold=not dry_run, now=datetime.now(UTC))
    quality, new, active, emails = found.quality, found.new_holds, found.active, found.emails
    for writer, q in sorted(quality.items(), key=lambda item: emails.get(item[0], "")):
        line = _line(emails.get(writer, f"user {writer}"), q)
        over = over_thresholds(q, config.quality)
        if writer in active:
            line += f"; on hold since {active[writer].since.isoformat(timespec='seconds')}"
        elif writer in new:
            line += f"; {'would be held' if dry_run else 'held from now on'}: {new[writer]}"
        elif over:
            line += f"; over: {'; '.join(over)}"
        click.echo(line)
    if not config.quality.active:
        click.echo(f"no maximum set in [quality] of {config.path}: no one is held", err=True)
    verb = "would be held" if dry_run else "held now"
    click.echo(f"{len(quality)} writers: {len(new)} {verb}, {len(active)} on hold already")


@click.command("release")
@click.argument("writer")
@config_option
@click.option("--dry-run", is_flag=True, help="Show the hold that would be released.")
@fail_cleanly
def release_command(writer: str, config_path: Path | None, dry_run: bool) -> None:
    """Release WRITER's hold (Label Studio e-mail or user id): the sentences they made while
    held are paid at the next payout, each once.

    The release is recorded with the account of LABEL_STUDIO_API_KEY as who released it.

    \b
    Example:
      apeach-ls writers release w7@example.org --config campaign.toml
    """
    campaign = open_campaign(config_path)
    writer_id = campaign.writer_id(writer)
    active = campaign.active_holds(writer_id)
    who = campaign.user_emails[writer_id]
    if not active:
        click.echo(f"{who} is not on hold; nothing changed")
        return
    if dry_run:
        for h in active:
            click.echo(f"would release {who}: on hold since {h.since.isoformat()} ({h.reason})")
        return
    for h in campaign.release_writer(writer_id, datetime.now(UTC)):
        click.echo(
            f"released {who} (on hold since {h.since.isoformat(timespec='seconds')}, {h.reason}); "
            f"their sentences are paid at the next payout"
        )
