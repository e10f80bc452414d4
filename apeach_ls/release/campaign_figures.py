"""The report's campaign figures: the vote's outcomes and drop reasons, throughput over
time, and the managers' agreement (from ``votes.agreement`` or a plain mapping)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from ..rounds import FoolingCounts
from ..votes.agreement import AgreementScores, Coefficient, ManagerAgreement
from ..votes.model import DROPPED, OUTCOMES, REASONS
from .figures import bar_counts, empty_note


@dataclass(frozen=True)
class AgreementRow:
    what: str  # "keep/drop" or a drop reason
    kappa: float | None
    kappa_note: str
    alpha: float | None
    alpha_note: str


def votes_figure(tallies: Iterable[Any]) -> Figure:
    """Left: outcomes of every tallied sentence; right: reasons given to dropped ones."""
    tallies = list(tallies)
    fig = Figure(figsize=(10, 4), layout="constrained")
    left, right = fig.subplots(1, 2)
    outcomes = Counter(t.outcome for t in tallies)
    bar_counts(
        left, [(o, outcomes[o]) for o in OUTCOMES if outcomes[o]], "#7f7f7f", "nothing tallied"
    )
    left.set_title("tally outcomes")
    left.set_ylabel("sentences")
    reasons = Counter(r for t in tallies if t.outcome == DROPPED for r in t.reasons)
    known = [r for r in REASONS if reasons[r]] + sorted(r for r in reasons if r not in REASONS)
    bar_counts(right, [(r, reasons[r]) for r in known], "#ff7f0e", "no dropped sentences")
    right.set_title("drop reasons (a sentence may have several)")
    return fig


def parse_time(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).replace(tzinfo=None)


def throughput_figure(submitted_at: Sequence[str], accepted_at: Sequence[str]) -> Figure:
    """Submissions per hour (per day when the campaign spans more than three days), and
    the cumulative submitted and accepted sentences."""
    fig = Figure(figsize=(10, 4.5), layout="constrained")
    ax = fig.add_subplot()
    times = sorted(t for t in map(parse_time, submitted_at) if t is not None)
    accepted = sorted(t for t in map(parse_time, accepted_at) if t is not None)
    if not times:
        empty_note(ax, "no submission times")
        return fig
    hourly = times[-1] - times[0] <= timedelta(days=3)
    unit = timedelta(hours=1) if hourly else timedelta(days=1)

    def floor(t: datetime) -> datetime:
        return (
            t.replace(minute=0, second=0, microsecond=0)
            if hourly
            else t.replace(hour=0, minute=0, second=0, microsecond=0)
        )

    per_bin = Counter(floor(t) for t in times)
    bins = sorted(per_bin)
    per = "hour" if hourly else "day"
    ax.bar(
        [date2num(b + unit / 2) for b in bins],
        [per_bin[b] for b in bins],
        width=0.9 * (unit / timedelta(days=1)),
        color="#17becf",
        label=f"submissions per {per}",
    )
    ax.set_ylabel(f"submissions per {per}")
    ax.set_xlabel("time (UTC)")
    cumulative = ax.twinx()
    cumulative.step(
        [date2num(t) for t in times],
        range(1, len(times) + 1),
        where="post",
        color="#1f77b4",
        label="submitted (cumulative)",
    )
    if accepted:
        cumulative.step(
            [date2num(t) for t in accepted],
            range(1, len(accepted) + 1),
            where="post",
            color="#2ca02c",
            label="accepted (cumulative)",
        )
    cumulative.set_ylabel("cumulative sentences")
    cumulative.set_ylim(bottom=0)
    for axis in (ax, cumulative):
        axis.yaxis.set_major_locator(MaxNLocator(integer=True))
    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    handles = [h for axis in (ax, cumulative) for h in axis.get_legend_handles_labels()[0]]
    ax.legend(handles, [str(h.get_label()) for h in handles], loc="upper left")
    return fig


def _coefficient(value: Any) -> tuple[float | None, str]:
    if isinstance(value, Coefficient):
        return value.value, value.note or f"{value.items} items"
    if isinstance(value, Mapping):
        return value.get("value"), str(value.get("note") or "")
    if value is None or isinstance(value, (int, float)):
        return (float(value) if value is not None else None), ""
    raise TypeError(f"not an agreement coefficient: {value!r}")


def agreement_rows(agreement: ManagerAgreement | Mapping[str, Any] | None) -> list[AgreementRow]:
    """Table rows from ``manager_agreement(...)`` or ``{"keep/drop": {"fleiss_kappa": 0.6,
    "krippendorff_alpha": 0.58}, "copied": AgreementScores(...), ...}``."""
    if agreement is None:
        return []
    if isinstance(agreement, ManagerAgreement):
        items: list[tuple[str, Any]] = [
            ("keep/drop", agreement.decision),
            *agreement.reasons.items(),
        ]
    else:
        items = list(agreement.items())
    rows = []
    for what, scores in items:
        if isinstance(scores, AgreementScores):
            kappa, alpha = scores.fleiss_kappa, scores.krippendorff_alpha
        else:
            kappa, alpha = scores.get("fleiss_kappa"), scores.get("krippendorff_alpha")
        (k, k_note), (a, a_note) = _coefficient(kappa), _coefficient(alpha)
        rows.append(AgreementRow(str(what), k, k_note, a, a_note))
    return rows


def agreement_figure(rows: Sequence[AgreementRow]) -> Figure:
    fig = Figure(figsize=(8, 4), layout="constrained")
    ax = fig.add_subplot()
    positions = range(len(rows))
    for offset, name, values, color in (
        (-0.2, "Fleiss' kappa", [r.kappa for r in rows], "#8c564b"),
        (0.2, "Krippendorff's alpha", [r.alpha for r in rows], "#e377c2"),
    ):
        bars = ax.bar(
            [p + offset for p in positions],
            [v or 0.0 for v in values],
            width=0.4,
            color=color,
            label=name,
        )
        ax.bar_label(
            bars, ["n/a" if v is None else f"{v:.2f}" for v in values], padding=2, fontsize=8
        )
    ax.set_xticks(list(positions), [r.what for r in rows])
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylim(
        min(-0.1, *(v - 0.1 for r in rows for v in (r.kappa, r.alpha) if v is not None)), 1.1
    )
    ax.set_ylabel("agreement (1 = perfect, 0 = chance)")
    ax.legend(loc="upper right")
    return fig


def rounds_figure(counts: Mapping[str, FoolingCounts]) -> Figure:
    """MER and vMER per round, in order of the rounds' start, with fooled / submitted labels."""
    fig = Figure(figsize=(8, 4), layout="constrained")
    ax = fig.add_subplot()
    names = [name for name, c in counts.items() if c.submitted]
    if not names:
        empty_note(ax, "no submissions")
        return fig
    x = list(range(len(names)))
    mer = [counts[n].mer or 0.0 for n in names]
    vmer = [counts[n].vmer or 0.0 for n in names]
    ax.plot(x, mer, marker="o", color="#9467bd", label="MER (fooled / submitted)")
    ax.plot(x, vmer, marker="s", color="#2ca02c", label="vMER (verified fooled / submitted)")
    for i, n in enumerate(names):
        c = counts[n]
        ax.annotate(
            f"{c.fooled}/{c.submitted}",
            (i, mer[i]),
            textcoords="offset points",
            xytext=(0, 7),
            ha="center",
            fontsize=8,
        )
        ax.annotate(
            f"{c.verified_fooled}/{c.submitted}",
            (i, vmer[i]),
            textcoords="offset points",
            xytext=(0, -13),
            ha="center",
            fontsize=8,
        )
    ax.set_xticks(x, names)
    ax.set_xlim(-0.5, len(names) - 0.5)
    ax.set_ylim(-0.05, 1.1)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("round")
    ax.set_ylabel("share of submitted sentences")
    ax.legend(loc="upper right")
    return fig
