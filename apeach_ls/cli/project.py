"""``apeach-ls setup`` and ``apeach-ls prompts import``."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import DataFileError
from ..labelstudio.projects import SetupReport, find_project, setup_generation
from ..labelstudio.prompt_import import import_prompts
from ..prompts import default_prompts, parse_topics
from .common import campaign_option, fail_cleanly, label_studio, settings


def print_setup_report(report: SetupReport) -> None:
    for step in report.steps:
        line = f"{step.what}: {step.outcome}" + (f" ({step.detail})" if step.detail else "")
        click.echo(line, err=step.outcome == "warning")
    click.echo(
        "nothing changed" if not report.changed else f"generation project: {report.project_id}"
    )


@click.command()
@campaign_option
@fail_cleanly
def setup(campaign: str) -> None:
    """Create or update the campaign's generation project and connect the ML backend.

    Idempotent: a second run changes nothing. Reads LABEL_STUDIO_URL, LABEL_STUDIO_API_KEY
    (or LABEL_STUDIO_API_KEY_FILE), APEACH_ML_URL and, when the backend uses Basic auth,
    APEACH_ML_BASIC_AUTH_USER and APEACH_ML_BASIC_AUTH_PASSWORD (or ..._FILE).

    \b
    Example:
      APEACH_ML_URL=http://127.0.0.1:9090 apeach-ls setup --campaign apeach-2026
    """
    client = label_studio()
    print_setup_report(setup_generation(client, campaign, settings().ml_connection()))


@click.group()
def prompts() -> None:
    """Writing tasks: one prompt (topic + guideline) per task."""


def read_topics(path: Path | None):
    if path is None:
        return default_prompts()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataFileError(str(path), f"cannot read the file ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DataFileError(str(path), "is not UTF-8 text") from None
    return parse_topics(text, str(path))


@prompts.command("import")
@campaign_option
@click.option(
    "--per-topic",
    type=click.IntRange(min=1, max=100000),
    default=10,
    show_default=True,
    help="Writing tasks per topic (in total: a re-run adds only the missing ones).",
)
@click.option(
    "--topics",
    "topics_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Your own topics: JSON list or CSV with topic,topic_eng,guideline[,key]. "
    "Default: the ten APEACH topics.",
)
@fail_cleanly
def import_command(campaign: str, per_topic: int, topics_file: Path | None) -> None:
    """Create N writing tasks per topic in the generation project; never duplicates.

    \b
    Example:
      apeach-ls prompts import --campaign apeach-2026 --per-topic 50
      apeach-ls prompts import --topics my_topics.csv --per-topic 20
    """
    topics = read_topics(topics_file)
    client = label_studio()
    project = find_project(client, campaign, "generation")
    if project is None:
        raise click.ClickException(
            f"Campaign {campaign!r} has no generation project yet. "
            f"Run: apeach-ls setup --campaign {campaign}"
        )
    with click.progressbar(
        length=len(topics) * per_topic, label="importing prompts", file=None
    ) as bar:
        report = import_prompts(client, int(project.id), topics, per_topic, progress=bar.update)
    click.echo(
        f"{report.added} tasks added, {report.already_there} already there "
        f"({len(topics)} topics x {per_topic})"
    )
