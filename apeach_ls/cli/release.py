"""``apeach-ls export`` and ``apeach-ls report``: the accepted sentences as a dataset release,
and an HTML report about it.

Both read the writers' submissions from Label Studio (LABEL_STUDIO_URL, LABEL_STUDIO_API_KEY),
and the tallies and the roster from the campaign database named in ``--config``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from ..campaign_config import CampaignConfig, load_config
from ..correction import Flag
from ..database import open_database
from ..database.connection import ledger_id
from ..errors import ApeachError
from ..labelstudio.campaign import generation_project_id
from ..labelstudio.connection import LabelStudioSettings, connect
from ..labelstudio.submissions import Submission, read_submissions
from ..labelstudio.vote_round import find_vote_projects, tally_vote_projects, user_emails
from ..release.card import DEFAULT_LICENSE, license_id
from ..release.consistency import held_back_line
from ..release.export import require_release_packages, write_release
from ..release.outdir import check_output_dir
from ..release.report import ReportData, write_report
from ..release.rows import ReleaseBuild, build_release
from ..rewards.roster import load_roster
from ..rounds import FoolingRecord, Round, fooling_records
from ..rounds_store import load_rounds
from ..validation.store import load_verified
from ..votes import counted_agreement
from ..votes.agreement import ManagerAgreement
from ..votes.store import StoredTally, load_tallies
from .common import config_option, fail_cleanly, require_config, verdict_key


@dataclass(frozen=True)
class Campaign:
    config: CampaignConfig
    client: Any
    submissions: list[Submission]
    tallies: Mapping[int, StoredTally]
    emails: Mapping[int, str]
    build: ReleaseBuild
    rounds: Sequence[Round] = ()
    verified_by_validation: Mapping[int, bool] | None = None  # None: validation is off


def _step(message: str) -> None:
    click.echo(message, err=True)


def load_campaign(config_path: Path) -> Campaign:
    """Tallies and roster from the database, submissions from Label Studio, the release rows."""
    config = load_config(require_config(config_path))
    engine = open_database(config.database)
    tallies = load_tallies(engine)
    if not tallies:
        raise ApeachError(
            f"No submission of campaign {config.name!r} has been tallied yet, so nothing is accepted. "
            f"Run: apeach-ls votes tally --config {config_path}"
        )
    with engine.connect() as conn:
        roster, salt = load_roster(conn), ledger_id(conn)
    client = connect(LabelStudioSettings.from_env())
    project_id = generation_project_id(client, config.name)
    key = verdict_key()
    _step(f"reading submissions of project {project_id} from Label Studio ...")
    submissions = sorted(read_submissions(client, project_id, key), key=lambda s: s.annotation_id)
    emails = user_emails(client)
    rounds = load_rounds(engine, config.name)
    verified = load_verified(engine) if config.validation else None
    build = build_release(config.name, submissions, tallies, roster, emails, salt, rounds, verified)
    outcomes = Counter(t.outcome for t in tallies.values())
    _step(
        f"{len(submissions)} submissions; tallied: {outcomes.get('accepted', 0)} accepted, "
        f"{outcomes.get('dropped', 0)} dropped, {outcomes.get('pending', 0)} pending"
    )
    for skipped in build.skipped:
        _step(f"skipped submission {skipped.submission_id}: {skipped.why}")
    for held in build.held_back:
        _step(f"held back submission {held.submission_id} ({held.apeach_class}): {held.why}")
    return Campaign(config, client, submissions, tallies, emails, build, rounds, verified)


def fooling(campaign: Campaign) -> list[FoolingRecord]:
    """Every submission's round, model version, fooled, verified and dropped (for MER, vMER)."""
    outcomes = {sid: t.outcome for sid, t in campaign.tallies.items()}
    return fooling_records(
        campaign.submissions,
        outcomes,
        campaign.rounds,
        lambda s: str(s.writer_id or ""),
        campaign.verified_by_validation,
    )


def vote_agreement(campaign: Campaign) -> ManagerAgreement | None:
    """The managers' agreement from the counted votes in the managers' own vote projects
    (read as ``votes tally`` reads them); None without any."""
    config = campaign.config
    if not config.managers:
        return None
    projects = find_vote_projects(campaign.client, config.name, config.managers)
    for line in projects.warnings(config.name, config.managers):
        _step(f"warning: {line}")
    if not projects.by_manager:
        return None
    _step(
        f"reading votes of projects {', '.join(map(str, projects.by_manager.values()))} for the managers' "
        "agreement ..."
    )
    results, _ = tally_vote_projects(
        campaign.client,
        projects,
        campaign.submissions,
        campaign.emails,
        config.managers,
        config.k,
        config.rule,
    )
    return counted_agreement(r.counted for r in results.values())


out_option = click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write; created, and must be empty unless --replace.",
)
replace_option = click.option(
    "--replace",
    is_flag=True,
    help="Replace the files of a non-empty --out directory (all or nothing).",
)


@click.command("export")
@config_option
@out_option
@replace_option
@click.option(
    "--license",
    "license_name",
    default=DEFAULT_LICENSE,
    show_default=True,
    help="The dataset's license, as a Hugging Face identifier (cc-by-4.0, cc0-1.0, other, ...).",
)
@fail_cleanly
def export(config_path: Path, out: Path, replace: bool, license_name: str) -> None:
    """Export the accepted sentences as a dataset release.

    Only sentences the managers' vote accepted are released, with the label corrected to
    the writer's intent (class Spoiled = hate, Default = not hate), the writer's age and
    gender from the roster, and a pseudonymous writer id. The directory gets apeach.csv
    (exactly the APEACH columns), extended.jsonl and extended.parquet (every field, with
    each sentence's round, model version, fooled and verified), a Hugging Face datasets
    directory hf/ and a dataset card README.md (with MER and vMER per round). Files are
    written all or nothing, and the same accepted set gives the same bytes.

    Each sentence is released once and with one class: sentences are compared after
    Unicode NFKC and whitespace collapsing; one accepted with both classes is held back
    entirely (conflict), one accepted more than once with one class is released from the
    earliest submission (the others are duplicates). The counts are printed; `report`
    lists them.

    \b
    Example:
      apeach-ls votes tally --config campaign.toml
      apeach-ls export --config campaign.toml --out release-v1 --license cc-by-sa-4.0
    """
    license_id(license_name)
    check_output_dir(out, replace)
    require_release_packages()
    campaign = load_campaign(config_path)
    rows = campaign.build.rows
    if not rows and campaign.build.held_back:
        raise ApeachError(
            f"Nothing to release in campaign {campaign.config.name!r}: every accepted sentence is held "
            "back as a conflict (the same sentence accepted with both classes); list them with: "
            f"apeach-ls report --config {config_path} --out <dir>"
        )
    if not rows:
        raise ApeachError(
            f"No accepted sentence in campaign {campaign.config.name!r} yet; collect more votes, "
            f"then run: apeach-ls votes tally --config {config_path}"
        )
    held_back = campaign.build.held_back
    files = write_release(
        rows,
        out,
        campaign.config.name,
        license_name,
        replace,
        progress=_step,
        held_back=held_back,
        fooling=fooling(campaign),
        rounds=campaign.rounds,
    )
    classes = Counter(r.apeach_class for r in rows)
    topics = len({r.text_topic for r in rows})
    click.echo(
        f"{files.rows} accepted sentences ({classes.get('Spoiled', 0)} Spoiled, "
        f"{classes.get('Default', 0)} Default) over {topics} topics written to {out}"
    )
    if held_back:
        click.echo(
            f"{held_back_line(held_back)} List them with: apeach-ls report --config {config_path} --out <dir>"
        )
    else:
        click.echo("0 accepted submissions were held back: no accepted sentence repeats another.")


@click.command("report")
@config_option
@out_option
@replace_option
@fail_cleanly
def report(config_path: Path, out: Path, replace: bool) -> None:
    """Write an HTML report of the release, with its figures as PNG files.

    report.html is self-contained (figures embedded): accepted sentences per topic and
    class, sentence lengths, fooled rate per topic, writers' ages and gender, vote
    outcomes and drop reasons, throughput over time, the managers' agreement (Fleiss'
    kappa, Krippendorff's alpha) when the managers have vote projects, the accepted
    submissions held back from the release (conflicts and duplicates, with their ids),
    and MER and vMER per round (with a plot), per model version and per topic.

    \b
    Example:
      apeach-ls report --config campaign.toml --out release-v1-report
      xdg-open release-v1-report/report.html
    """
    check_output_dir(out, replace)
    campaign = load_campaign(config_path)
    flags = Counter(f for s in campaign.submissions for f in s.corrected.flags)
    data = ReportData(
        campaign.config.name,
        campaign.build.rows,
        list(campaign.tallies.values()),
        verdict_unverified=flags[Flag.VERDICT_UNVERIFIED],
        no_verdict=flags[Flag.NO_VERDICT],
        submitted_at=[s.created_at for s in campaign.submissions],
        agreement=vote_agreement(campaign),
        held_back=campaign.build.held_back,
        fooling=fooling(campaign),
        rounds=campaign.rounds,
    )
    files = write_report(data, out, replace, progress=_step)
    click.echo(f"report with {len(files.figures)} figures written to {files.html}")
