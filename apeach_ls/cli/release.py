"""``apeach-ls export`` and ``apeach-ls report``: the accepted sentences as a dataset release,
and an HTML report about it.

Both read the writers' submissions from Label Studio (LABEL_STUDIO_URL, LABEL_STUDIO_API_KEY),
and the tallies and the roster from the campaign database named in ``--config``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from ..correction import Flag
from ..errors import ApeachError
from ..release.card import DEFAULT_LICENSE, license_id
from ..release.consistency import held_back_line
from ..release.export import require_release_packages, write_release
from ..release.outdir import check_output_dir
from ..release.report import ReportData, write_report
from .common import config_option, fail_cleanly, open_campaign, stderr

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
    campaign = open_campaign(config_path)
    release = campaign.release()
    build = release.build
    rows = build.rows
    if not rows and build.held_back:
        raise ApeachError(
            f"Nothing to release in campaign {campaign.name!r}: every accepted sentence is held "
            "back as a conflict (the same sentence accepted with both classes); list them with: "
            f"apeach-ls report --config {config_path} --out <dir>"
        )
    if not rows:
        raise ApeachError(
            f"No accepted sentence in campaign {campaign.name!r} yet; collect more votes, "
            f"then run: apeach-ls votes tally --config {config_path}"
        )
    held_back = build.held_back
    files = write_release(
        rows,
        out,
        campaign.name,
        license_name,
        replace,
        progress=stderr,
        held_back=held_back,
        fooling=release.fooling,
        rounds=release.rounds,
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
    outcomes and drop reasons, throughput over time, the managers' agreement on keep/drop
    (Fleiss' kappa, Krippendorff's alpha) from the votes the stored tally counted, and the
    accepted submissions held back from the release (conflicts and duplicates, with their
    ids), and MER and vMER per round (with a plot), per model version and per topic.
    Outcomes and agreement are those of the last `votes tally`.

    \b
    Example:
      apeach-ls report --config campaign.toml --out release-v1-report
      xdg-open release-v1-report/report.html
    """
    check_output_dir(out, replace)
    campaign = open_campaign(config_path)
    release = campaign.release()
    build = release.build
    flags = Counter(f for s in campaign.submissions for f in s.corrected.flags)
    data = ReportData(
        campaign.name,
        build.rows,
        list(campaign.tallies().values()),
        verdict_unverified=flags[Flag.VERDICT_UNVERIFIED],
        no_verdict=flags[Flag.NO_VERDICT],
        submitted_at=[s.created_at for s in campaign.submissions],
        agreement=campaign.agreement(),
        held_back=build.held_back,
        fooling=release.fooling,
        rounds=release.rounds,
    )
    files = write_report(data, out, replace, progress=stderr)
    click.echo(f"report with {len(files.figures)} figures written to {files.html}")
