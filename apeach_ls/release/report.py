"""The release report: one self-contained HTML file (figures embedded as data URIs, no
external assets) and the same figures as PNG files.

``report.html`` and ``figures/<key>.png`` are written all or nothing. The report holds no
timestamp of its own: the same data gives the same files.
"""

from __future__ import annotations

import base64
import html
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matplotlib import rc_context

from ..prompts import default_prompts
from ..rounds import (
    METRIC_COLUMNS,
    FoolingRecord,
    Round,
    fooling_metrics,
    metric_rows,
    metrics_by_round,
)
from ..votes.agreement import ManagerAgreement
from ..votes.model import DROPPED, PENDING
from . import campaign_figures as cf
from . import figures as ff
from .card import topic_class_counts
from .consistency import CONFLICT, HeldBack, count_held_back, held_back_line
from .outdir import check_output_dir, write_atomically
from .rows import DEFAULT, SPOILED, ReleaseRow, SubmissionTally

HTML_FILE, FIGURES_DIR = "report.html", "figures"


@dataclass(frozen=True)
class ReportData:
    campaign: str
    rows: Sequence[ReleaseRow]  # the released sentences (accepted, each sentence once)
    tallies: Sequence[SubmissionTally]  # every tallied sentence, dropped and pending too
    submitted_at: Sequence[str] = ()  # created_at of every submission; the rows' when empty
    agreement: ManagerAgreement | Mapping[str, Any] | None = None
    font: str | None = field(default=None)  # a CJK font name; found automatically when None
    held_back: Sequence[
        HeldBack
    ] = ()  # accepted, but the sentence repeats another (ReleaseBuild.held_back)
    verdict_unverified: int = (
        0  # submissions whose verdict's receipt did not verify (label = intent)
    )
    no_verdict: int = 0  # submissions made without any verdict
    fooling: Sequence[
        FoolingRecord
    ] = ()  # every submission's round, model version, fooled, verified
    rounds: Sequence[Round] = ()  # the campaign's rounds (none: one implicit round)


@dataclass(frozen=True)
class ReportFiles:
    directory: Path
    html: Path
    figures: tuple[Path, ...]


def build_charts(
    data: ReportData, progress: Callable[[str], None] = lambda m: None
) -> list[ff.Chart]:
    font = data.font or ff.cjk_font()
    label = ff.topic_labeler(korean=font is not None)
    topics = ff.topics_in_order(data.rows, [p.topic for p in default_prompts()])
    agreement = cf.agreement_rows(data.agreement)
    accepted_at = [r.created_at for r in data.rows]
    plans: list[tuple[str, str, str, Callable[[], Any]]] = [
        (
            "topic-class",
            "Accepted sentences per topic and class",
            "Accepted sentences per topic, Spoiled (hate) and Default (not hate), from the labels corrected to "
            "the writers' intent.",
            lambda: ff.topic_class_figure(data.rows, topics, label),
        ),
        (
            "length",
            "Sentence length by class",
            "Histogram of sentence length in characters, per class.",
            lambda: ff.length_figure(data.rows),
        ),
        (
            "fooled",
            "Fooled rate per topic",
            "Share of accepted sentences per topic whose writer flipped the pseudo-classifier's verdict "
            "(the hard examples); the labels give fooled / total.",
            lambda: ff.fooled_figure(data.rows, topics, label),
        ),
        (
            "writer-ages",
            "Writers' ages",
            "Writers with accepted sentences, by 5-year age bucket (floored; under 20 counted in 20), from the "
            "roster; 'unknown' when the roster has no age.",
            lambda: ff.writers_figure(data.rows, "age"),
        ),
        (
            "writer-gender",
            "Writers' gender",
            "Writers with accepted sentences, by gender from the roster; 'unknown' when not given.",
            lambda: ff.writers_figure(data.rows, "gender"),
        ),
        (
            "votes",
            "Vote outcomes and drop reasons",
            "Outcomes of every tallied sentence, and the drop reasons of the dropped ones.",
            lambda: cf.votes_figure(data.tallies),
        ),
        (
            "throughput",
            "Throughput over time",
            "Submissions per hour (per day for campaigns longer than three days), and cumulative submitted "
            "and accepted sentences.",
            lambda: cf.throughput_figure(data.submitted_at or accepted_at, accepted_at),
        ),
    ]
    if agreement:
        plans.append(
            (
                "agreement",
                "Managers' agreement",
                "Fleiss' kappa and Krippendorff's alpha (nominal) on keep/drop and on each drop reason.",
                lambda: cf.agreement_figure(agreement),
            )
        )
    if data.fooling:
        plans.insert(
            3,
            (
                "rounds",
                "MER and vMER over rounds",
                "Per round, the share of submitted sentences (all of them, released or not) that fooled "
                "the model in the loop (MER: the writer flipped its verified verdict) and whose fooling "
                "was verified (vMER); the labels give fooled / submitted and verified fooled / submitted.",
                lambda: cf.rounds_figure(metrics_by_round(data.fooling, data.rounds)),
            ),
        )
    charts = []
    with rc_context(ff.rc(font)):
        for key, title, caption, draw in plans:
            progress(f"drawing {key}")
            charts.append(ff.Chart(key, title, caption, ff.png(draw())))
    return charts


def _table(header: Sequence[str], rows: Sequence[Sequence[object]], css: str = "") -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    opening = f'<table class="{css}">' if css else "<table>"
    return f"{opening}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _coefficient(value: float | None, note: str) -> str:
    return f"{value:.3f}" + (f" ({note})" if note else "") if value is not None else f"n/a ({note})"


HELD_BACK_NOTE = (
    "Accepted submissions whose sentence repeats another accepted one (compared after Unicode NFKC "
    "and whitespace collapsing; case and punctuation count). A sentence accepted with both classes "
    "is not released at all (conflict); one accepted more than once with one class is released "
    "once, from the earliest submission (duplicate)."
)


def held_back_section(held_back: Sequence[HeldBack]) -> list[str]:
    """The report's list of held-back submissions: ids, how, class, text and the other submissions."""
    parts = ["<h2>Held back from the release</h2>", f"<p>{html.escape(HELD_BACK_NOTE)}</p>"]
    if not held_back:
        return parts + ["<p>None: no accepted sentence repeats another.</p>"]
    rows = [
        (h.submission_id, h.kind, h.apeach_class, h.text, h.why)
        for h in sorted(held_back, key=lambda h: (h.kind != CONFLICT, h.submission_id))
    ]
    return parts + [
        f"<p>{html.escape(held_back_line(held_back))}</p>",
        _table(["submission", "held back as", "class", "text", "why"], rows, css="held-back"),
    ]


FOOLING_NOTE = (
    "Over every submission of the campaign, released or not. MER (model error rate) = fooled / "
    "submitted: the writer flipped the verified verdict of the model in the loop. vMER = verified "
    "fooled / submitted: the fooling was also verified (the managers' vote accepted the sentence, "
    "or validators agreed with the writer's label when validation was on). Dropped: the managers' "
    "vote dropped the sentence. A submission belongs to the latest round started before it was made."
)


def fooling_section(data: ReportData) -> list[str]:
    """MER and vMER per round, per model version and per topic (none without records)."""
    if not data.fooling:
        return []
    parts = ["<h2>Fooling the model: MER and vMER</h2>", f"<p>{html.escape(FOOLING_NOTE)}</p>"]
    by_version = dict(sorted(fooling_metrics(data.fooling, "model_version").items()))
    by_topic = fooling_metrics(data.fooling, "topic")
    for title, first, counts, css in (
        ("Per round", "round", metrics_by_round(data.fooling, data.rounds), "per-round"),
        ("Per model version (of the verdict)", "model version", by_version, "per-model-version"),
        ("Per topic", "topic", by_topic, "per-topic"),
    ):
        rows = [(key or "(no verified verdict)", *rest) for key, *rest in metric_rows(counts)]
        parts += [f"<h3>{title}</h3>", _table([first, *METRIC_COLUMNS], rows, css=css)]
    return parts


def render_html(data: ReportData, charts: Sequence[ff.Chart]) -> str:
    outcomes = Counter(t.outcome for t in data.tallies)
    rows = data.rows
    held = count_held_back(data.held_back)
    summary = [
        ("released sentences", len(rows)),
        (DROPPED, outcomes.get(DROPPED, 0)),
        (PENDING, outcomes.get(PENDING, 0)),
        ("held back: conflicts (same sentence, both classes)", held.conflicts),
        ("held back: duplicates (same sentence and class)", held.duplicates),
        ("Spoiled (hate)", sum(r.apeach_class == SPOILED for r in rows)),
        ("Default (not hate)", sum(r.apeach_class == DEFAULT for r in rows)),
        ("fooled the pseudo-classifier", sum(r.fooled for r in rows)),
        (
            "submissions whose verdict did not verify (label = the writer's intent, never fooled)",
            data.verdict_unverified,
        ),
        ("submissions made without a verdict", data.no_verdict),
        ("writers with released sentences", len({r.writer for r in rows if r.writer})),
    ]
    counts = [(ko, en, s, d, s + d) for ko, en, s, d in topic_class_counts(rows)]
    agreement = cf.agreement_rows(data.agreement)
    parts = [
        f"<h1>{html.escape(data.campaign)}: release report</h1>",
        "<h2>Summary</h2>",
        _table(["", "count"], summary),
        "<h2>Counts per topic and class</h2>",
        _table(["text_topic", "text_topic_eng", "Spoiled", "Default", "total"], counts),
        *held_back_section(data.held_back),
        *fooling_section(data),
        "<h2>Managers' agreement</h2>",
    ]
    if agreement:
        parts.append(
            _table(
                ["", "Fleiss' kappa", "Krippendorff's alpha"],
                [
                    (
                        r.what,
                        _coefficient(r.kappa, r.kappa_note),
                        _coefficient(r.alpha, r.alpha_note),
                    )
                    for r in agreement
                ],
            )
        )
    else:
        parts.append("<p>Not available: no vote data was given.</p>")
    parts.append("<h2>Figures</h2>")
    for number, chart in enumerate(charts, start=1):
        uri = "data:image/png;base64," + base64.b64encode(chart.png).decode("ascii")
        parts.append(
            f'<figure id="fig-{chart.key}"><img id="img-{chart.key}" alt="{html.escape(chart.title)}" '
            f'src="{uri}"><figcaption><b>Figure {number}. {html.escape(chart.title)}.</b> '
            f"{html.escape(chart.caption)}</figcaption></figure>"
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(data.campaign)}: release report</title><style>{STYLE}</style></head>"
        "<body>" + "\n".join(parts) + "</body></html>\n"
    )


STYLE = (
    "body{font-family:'Noto Sans CJK KR','Noto Sans KR',sans-serif;max-width:1100px;margin:2em auto;"
    "padding:0 1em;color:#222}table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;"
    "padding:.3em .6em;text-align:left}td:nth-child(n+2){text-align:right}figure{margin:2em 0}"
    "img{max-width:100%;height:auto;border:1px solid #eee}figcaption{color:#444;font-size:.95em}"
    ".held-back td{text-align:left;white-space:pre-wrap}"
)


def write_report(
    data: ReportData,
    out: Path,
    replace: bool = False,
    progress: Callable[[str], None] = lambda m: None,
) -> ReportFiles:
    """Draw the figures and write ``report.html`` and ``figures/*.png`` into ``out``."""
    check_output_dir(out, replace)
    charts = build_charts(data, progress)
    page = render_html(data, charts)

    def fill(tmp: Path) -> ReportFiles:
        (tmp / FIGURES_DIR).mkdir()
        pngs = []
        for chart in charts:
            (tmp / FIGURES_DIR / f"{chart.key}.png").write_bytes(chart.png)
            pngs.append(out / FIGURES_DIR / f"{chart.key}.png")
        (tmp / HTML_FILE).write_text(page, encoding="utf-8", newline="\n")
        return ReportFiles(out, out / HTML_FILE, tuple(pngs))

    return write_atomically(out, replace, fill)
