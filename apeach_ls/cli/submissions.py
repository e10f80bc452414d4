"""``apeach-ls submissions``: writers' sentences with labels corrected to their intent."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click
from click.core import ParameterSource

from ..errors import ApeachError
from ..spreadsheet import guard
from .common import (
    campaign_named,
    campaign_option,
    fail_cleanly,
    group_config_option,
    open_campaign,
)

if TYPE_CHECKING:
    from ..labelstudio.submissions import Submission

COLUMNS = [
    "annotation_id",
    "task_id",
    "writer_id",
    "prompt_id",
    "topic",
    "topic_eng",
    "text",
    "intent",
    "verdict",
    "verdict_score",
    "model_version",
    "agreement",
    "label",
    "fooled",
    "flags",
    "unverified_reason",
    "created_at",
    "lead_time",
]


def as_row(s: Submission) -> dict[str, object]:
    c = s.corrected
    return {
        "annotation_id": s.submission_id,
        "task_id": s.task_id,
        "writer_id": s.writer_id,
        "prompt_id": s.prompt.get("prompt_id", ""),
        "topic": s.prompt.get("topic", ""),
        "topic_eng": s.prompt.get("topic_eng", ""),
        "text": c.text,
        "intent": c.intent or "",
        "verdict": c.verdict.label if c.verdict else "",
        "verdict_score": c.verdict.score if c.verdict else "",
        "model_version": c.model_version or "",
        "agreement": c.agreement or "",
        "label": c.label or "",
        "fooled": c.fooled,
        "flags": ",".join(sorted(f.value for f in c.flags)),
        "unverified_reason": c.unverified_reason or "",
        "created_at": s.created_at,
        "lead_time": s.lead_time if s.lead_time is not None else "",
    }


@click.group()
def submissions() -> None:
    """Writers' sentences from the generation project."""


@submissions.command("export")
@campaign_option
@group_config_option
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV file to write (default: stdout).",
)
@fail_cleanly
def export_command(campaign: str, config_path: Path | None, out: Path | None) -> None:
    """Write every submission with its corrected label (CSV with a header).

    A verdict counts only when its receipt (signed by the ML backend) verifies for the
    final sentence; otherwise the row is flagged verdict_unverified, its label is the
    writer's intent, and unverified_reason says why. Needs the backend's verdict secret
    (APEACH_VERDICT_SECRET_FILE; `apeach-ls up` keeps it in its data directory).

    The ``text,label`` columns are what ``apeach-ls classifier train`` reads, so the
    campaign's own corrected labels can retrain the pseudo-classifier. A cell that a
    spreadsheet would run as a formula (it starts with =, +, -, @) gets a leading
    apostrophe; ``classifier train`` removes it again, so it reads the exact sentences.

    With a campaign config (``--config`` or APEACH_CAMPAIGN_CONFIG, as ``votes``, ``payout``
    and ``export`` take it) the campaign is the one the config names; a ``--campaign`` that
    names another is refused, so the sentences exported are those the votes and payouts read.

    \b
    Example:
      apeach-ls submissions export --campaign apeach-2026 --out submissions.csv
    """
    if out is not None:
        check_csv_target(out)  # before the slow reading
    if config_path is not None:
        chosen = open_campaign(config_path)
        given = click.get_current_context().get_parameter_source("campaign")
        if given is not ParameterSource.DEFAULT and campaign != chosen.name:
            raise ApeachError(
                f"--campaign {campaign!r} is not the campaign of {config_path} "
                f"({chosen.name!r}); give one of them"
            )
    else:
        chosen = campaign_named(campaign)
    rows = [as_row(s) for s in chosen.submissions]
    if out is None:
        write_csv(rows, sys.stdout)
        return
    tmp = out.with_name(out.name + ".part")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            write_csv(rows, fh)
        tmp.replace(out)  # all or nothing: an existing file is never left half-written
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ApeachError(f"cannot write {out}: {exc.strerror}; choose another --out") from None
    click.echo(f"{len(rows)} submissions written to {out}", err=True)


def write_csv(rows: list[dict[str, object]], fh: TextIO) -> None:
    """The submissions as CSV, every cell guarded against spreadsheet formulas."""
    writer = csv.DictWriter(fh, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows({key: guard(value) for key, value in row.items()} for row in rows)


def check_csv_target(out: Path) -> None:
    folder = out.parent
    if not folder.is_dir():
        raise ApeachError(
            f"{folder} is not a directory, so {out} cannot be written; choose another --out"
        )
