"""``apeach-ls overlap``: how much evaluation sets share vocabulary with reference corpora."""

from __future__ import annotations

import csv
from contextlib import ExitStack
from pathlib import Path

import click
from tqdm import tqdm

from ..errors import ConfigError
from ..overlap import (
    DEFAULT_BLOCK_SIZE,
    DEFAULT_CHUNK_SIZE,
    VIEWS,
    Corpus,
    Engine,
    InProcess,
    Overlap,
    measure_overlap,
)
from ..overlap_dask import INSTALL_HINT, DaskEngine, dask_available
from .common import fail_cleanly

MEASURES = {
    "centroid_cosine": "centroid",
    "mean_max_similarity": "mean-max",
    "coverage": "coverage",
}


def parse_corpora(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> list[Corpus]:
    """``NAME=FILE`` (or just ``FILE``, named after its stem) into corpora with unique names."""
    corpora: list[Corpus] = []
    for value in values:
        name, _, file = value.partition("=") if "=" in value else (Path(value).stem, "", value)
        if not name or not file:
            raise click.BadParameter(
                f"{value!r}: expected NAME=FILE, e.g. apeach=apeach.csv", ctx, param
            )
        if name in {corpus.name for corpus in corpora}:
            raise click.BadParameter(
                f"the name {name!r} is used twice; give each file its own NAME", ctx, param
            )
        corpora.append(Corpus(name, Path(file)))
    return corpora


def count_lines(path: Path) -> int:
    """Physical lines, for the progress bar (read in binary blocks: fast even for gigabytes)."""
    try:
        with path.open("rb") as handle:
            return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))
    except OSError:
        return 0


def format_table(results: list[Overlap]) -> str:
    headers = ["evaluation", "reference", "sentences"] + [
        f"{v} {m}" for v in VIEWS for m in MEASURES.values()
    ]
    rows = [
        [r.evaluation, r.reference, f"{r.eval_sentences:,}"]
        + [f"{getattr(getattr(r, v), m):.3f}" for v in VIEWS for m in MEASURES]
        for r in results
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]
    lines = [headers] + rows
    return "\n".join(
        "  ".join(
            cell.ljust(w) if i < 2 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(line, widths))
        ).rstrip()
        for line in lines
    )


def write_csv(results: list[Overlap], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(results[0].as_row()))
        writer.writeheader()
        writer.writerows(result.as_row() for result in results)


def plot(results: list[Overlap], path: Path) -> None:
    """Grouped bars: one panel per view and measure, references on the x axis, a bar per evaluation set."""
    from matplotlib.figure import Figure  # no pyplot: renders with Agg, no display needed

    evaluations = list(dict.fromkeys(r.evaluation for r in results))
    references = list(dict.fromkeys(r.reference for r in results))
    by_pair = {(r.evaluation, r.reference): r for r in results}
    width = 0.8 / len(evaluations)
    figure = Figure(figsize=(4 * len(MEASURES), 3.2 * len(VIEWS)), layout="constrained")
    axes = figure.subplots(len(VIEWS), len(MEASURES), squeeze=False)
    for row, view in enumerate(VIEWS):
        for column, (measure, label) in enumerate(MEASURES.items()):
            ax = axes[row][column]
            for i, evaluation in enumerate(evaluations):
                values = [
                    getattr(getattr(by_pair[evaluation, ref], view), measure) for ref in references
                ]
                ax.bar(
                    [x + (i - (len(evaluations) - 1) / 2) * width for x in range(len(references))],
                    values,
                    width,
                    label=evaluation,
                )
            ax.set_xticks(range(len(references)), references)
            ax.set_ylim(0, 1)
            ax.set_title(f"{view} {label}")
            ax.grid(axis="y", alpha=0.3)
    axes[0][0].set_ylabel("overlap with the reference (0-1)")
    figure.legend(
        *axes[0][0].get_legend_handles_labels(), loc="outside lower center", ncols=len(evaluations)
    )
    figure.savefig(path, dpi=110)


@click.command()
@click.option(
    "--eval",
    "evaluations",
    multiple=True,
    required=True,
    metavar="NAME=FILE",
    callback=parse_corpora,
    help="An evaluation set (repeatable): text, one sentence a line, or CSV/TSV with a "
    "'text' or 'comments' column.",
)
@click.option(
    "--reference",
    "references",
    multiple=True,
    required=True,
    metavar="NAME=FILE",
    callback=parse_corpora,
    help="A reference corpus, e.g. a model's pre-training text "
    "(repeatable; same formats). Streamed: millions of lines are fine.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Directory for overlap.csv and overlap.png (created if missing).",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(1),
    default=DEFAULT_CHUNK_SIZE,
    show_default=True,
    help="Reference sentences compared at once; memory grows with chunk size x evaluation sentences.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=2,
    show_default=True,
    help="Worker processes of a local Dask cluster; 1 runs in this process (as does a "
    "reference of one block, or the default without Dask distributed installed).",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Run on the Dask cluster whose scheduler is at ADDRESS (e.g. tcp://10.0.0.5:8786; "
    "its workers need apeach-ls installed) instead of a local one.",
)
@click.option(
    "--block-size",
    type=click.IntRange(1),
    default=DEFAULT_BLOCK_SIZE,
    show_default=True,
    help="Reference sentences per task; the results depend on it (float sums), never on "
    "the number of workers.",
)
@click.pass_context
@fail_cleanly
def overlap(
    ctx: click.Context,
    evaluations: list[Corpus],
    references: list[Corpus],
    out: Path,
    chunk_size: int,
    workers: int,
    scheduler: str | None,
    block_size: int,
) -> None:
    """Lexical overlap of evaluation sets with reference corpora (TF-IDF, as in the APEACH paper).

    TF-IDF is fitted on each reference; on words and on character 2-4-grams, it reports the
    cosine of the two centroids ("centroid"), the best cosine match in the reference
    averaged over evaluation sentences ("mean-max"), and the share of evaluation tokens seen
    in the reference ("coverage"). A set crawled from the same source as a model's
    pre-training text scores high against it; a crowd-generated set should depend less on
    any one reference.

    The references are read in blocks (--block-size) that a local Dask cluster of --workers
    processes, or the cluster at --scheduler, measures in parallel; memory per worker stays
    bounded by the block, chunk and evaluation sizes. Same bytes for any number of workers.

    \b
    Example:
      apeach-ls overlap --eval apeach=apeach.csv --eval beep=beep/dev.tsv \\
          --reference comments=unlabeled_comments.txt --reference wiki=wiki.txt --out overlap/
    """
    lines = sum(count_lines(reference.path) for reference in references)
    explicit = ctx.get_parameter_source("workers") != click.core.ParameterSource.DEFAULT
    with ExitStack() as stack:
        engine, where = choose_engine(stack, workers, scheduler, explicit, lines > block_size)
        with tqdm(total=2 * lines, unit=" lines", desc="reading references", disable=None) as bar:
            results = measure_overlap(
                evaluations,
                references,
                chunk_size=chunk_size,
                progress=bar.update,
                engine=engine,
                block_size=block_size,
            )
    click.echo(format_table(results))
    out.mkdir(parents=True, exist_ok=True)
    write_csv(results, out / "overlap.csv")
    plot(results, out / "overlap.png")
    click.echo(f"\nwrote {out / 'overlap.csv'} and {out / 'overlap.png'} ({where})")


def choose_engine(
    stack: ExitStack, workers: int, scheduler: str | None, explicit: bool, several_blocks: bool
) -> tuple[Engine, str]:
    """The engine, and how to say where the passes ran."""
    if scheduler:
        engine = stack.enter_context(DaskEngine(scheduler=scheduler))
        return engine, f"on the Dask cluster at {scheduler}, {engine.workers} workers"
    if workers == 1 or not several_blocks:
        return InProcess(), "in this process"
    if not dask_available():
        if explicit:
            raise ConfigError(f"--workers {workers} needs Dask distributed: {INSTALL_HINT}")
        return InProcess(), f"in this process: Dask distributed is not installed ({INSTALL_HINT})"
    stack.enter_context(engine := DaskEngine(workers=workers))
    return engine, f"on a local Dask cluster, {workers} workers"
