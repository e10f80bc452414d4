"""The report's dataset figures as PNG bytes (matplotlib's Agg canvas, no pyplot state).

Korean topic names need a CJK font: "Noto Sans CJK KR" (Debian ``fonts-noto-cjk``) or
another from ``CJK_FONTS`` when installed, also one installed after matplotlib built its
font cache; without one, figures use the English names and a :class:`FontFallbackWarning`
says so.
"""

from __future__ import annotations

import io
import textwrap
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .rows import DEFAULT, SPOILED, ReleaseRow

CJK_FONTS: Final[tuple[str, ...]] = (
    "Noto Sans CJK KR",
    "Noto Sans CJK JP",
    "Noto Sans KR",
    "NanumGothic",
    "Source Han Sans KR",
    "Malgun Gothic",
    "AppleGothic",
)
# Font file names that may hold one of CJK_FONTS (lower case, without spaces, dashes or underscores).
CJK_FILE_HINTS: Final[tuple[str, ...]] = (
    "cjk",
    "notosanskr",
    "nanum",
    "sourcehan",
    "malgun",
    "applegothic",
)
NO_CJK_FONT: Final[str] = (
    "no font with Hangul found (tried: " + ", ".join(CJK_FONTS) + "): the figures use the "
    "English topic names. Install one, e.g. apt-get install fonts-noto-cjk"
)
COLORS: Final[dict[str, str]] = {SPOILED: "#d62728", DEFAULT: "#1f77b4"}
CLASS_NAMES: Final[dict[str, str]] = {SPOILED: "Spoiled (hate)", DEFAULT: "Default (not hate)"}
TopicLabel = Callable[[str, str], str]


@dataclass(frozen=True)
class Chart:
    key: str  # file stem and HTML id
    title: str
    caption: str
    png: bytes


class FontFallbackWarning(UserWarning):
    """No CJK font: the figures fell back to English topic names."""


def cjk_font() -> str | None:
    """The first installed font that has Hangul, from ``CJK_FONTS``; warns when there is none.

    matplotlib lists the fonts of its cache (built on first use); a font installed later is
    missing from it, so the system's font files are searched too and the ones found added."""
    from matplotlib import font_manager

    found = _listed_cjk_font(font_manager.fontManager)
    if found is None:
        for path in font_manager.findSystemFonts():
            name = Path(path).name.lower().replace("-", "").replace("_", "").replace(" ", "")
            if any(hint in name for hint in CJK_FILE_HINTS):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        found = _listed_cjk_font(font_manager.fontManager)
    if found is None:
        warnings.warn(NO_CJK_FONT, FontFallbackWarning, stacklevel=2)
    return found


def _listed_cjk_font(manager) -> str | None:  # type: ignore[no-untyped-def]
    names = {f.name for f in manager.ttflist}
    return next((name for name in CJK_FONTS if name in names), None)


def topic_labeler(korean: bool) -> TopicLabel:
    if korean:
        return lambda ko, en: "\n".join(textwrap.wrap(ko, 16)) or en
    return lambda ko, en: en or ko


def rc(font: str | None) -> dict[Any, Any]:
    family = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    return {"font.family": "sans-serif", "font.sans-serif": family, "axes.unicode_minus": False}


def png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(fig)  # Agg, whatever pyplot's backend is
    fig.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return buffer.getvalue()


def empty_note(ax, message: str) -> None:  # type: ignore[no-untyped-def]
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="#555")
    ax.set_xticks([])
    ax.set_yticks([])


def topics_in_order(rows: Sequence[ReleaseRow], order: Sequence[str]) -> list[tuple[str, str]]:
    """(Korean, English) topics: those in ``order`` (by Korean name) first, then the rest sorted."""
    seen = {(r.text_topic, r.text_topic_eng) for r in rows}
    rank = {topic: i for i, topic in enumerate(order)}
    return sorted(seen, key=lambda t: (rank.get(t[0], len(rank)), t[0], t[1]))


def topic_class_figure(
    rows: Sequence[ReleaseRow], topics: list[tuple[str, str]], label: TopicLabel
) -> Figure:
    fig = Figure(figsize=(9, 1.2 + 0.75 * max(1, len(topics))), layout="constrained")
    ax = fig.add_subplot()
    counts = Counter((r.text_topic, r.text_topic_eng, r.apeach_class) for r in rows)
    if not topics:
        empty_note(ax, "no accepted sentences")
        return fig
    ys = range(len(topics))
    for offset, cls in ((-0.2, SPOILED), (0.2, DEFAULT)):
        values = [counts[(ko, en, cls)] for ko, en in topics]
        bars = ax.barh(
            [y + offset for y in ys], values, height=0.4, color=COLORS[cls], label=CLASS_NAMES[cls]
        )
        ax.bar_label(bars, padding=2, fontsize=8)
    ax.set_yticks(list(ys), [label(ko, en) for ko, en in topics], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("accepted sentences")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="lower right")
    return fig


def length_figure(rows: Sequence[ReleaseRow]) -> Figure:
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.add_subplot()
    lengths = {
        cls: [len(r.text) for r in rows if r.apeach_class == cls] for cls in (SPOILED, DEFAULT)
    }
    longest = max((n for values in lengths.values() for n in values), default=0)
    if not longest:
        empty_note(ax, "no accepted sentences")
        return fig
    step = max(1, -(-longest // 30))
    bins = list(range(0, longest + step + 1, step))
    ax.hist(
        [lengths[SPOILED], lengths[DEFAULT]],
        bins=bins,
        color=[COLORS[SPOILED], COLORS[DEFAULT]],
        label=[CLASS_NAMES[SPOILED], CLASS_NAMES[DEFAULT]],
    )
    ax.set_xlabel("sentence length (characters)")
    ax.set_ylabel("sentences")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend()
    return fig


def fooled_figure(
    rows: Sequence[ReleaseRow], topics: list[tuple[str, str]], label: TopicLabel
) -> Figure:
    fig = Figure(figsize=(9, 1.2 + 0.5 * max(1, len(topics))), layout="constrained")
    ax = fig.add_subplot()
    if not topics:
        empty_note(ax, "no accepted sentences")
        return fig
    totals = Counter((r.text_topic, r.text_topic_eng) for r in rows)
    fooled = Counter((r.text_topic, r.text_topic_eng) for r in rows if r.fooled)
    rates = [fooled[t] / totals[t] for t in topics]
    bars = ax.barh(range(len(topics)), rates, color="#9467bd")
    ax.bar_label(bars, [f"{fooled[t]}/{totals[t]}" for t in topics], padding=2, fontsize=8)
    ax.set_yticks(list(range(len(topics))), [label(ko, en) for ko, en in topics], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.15)
    ax.set_xlabel("share of sentences that fooled the pseudo-classifier (flipped)")
    return fig


def bar_counts(ax, counts: Sequence[tuple[str, int]], color: str, empty: str) -> None:  # type: ignore[no-untyped-def]
    if not counts:
        empty_note(ax, empty)
        return
    bars = ax.bar([name for name, _ in counts], [n for _, n in counts], color=color)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.bar_label(bars, padding=2, fontsize=8)
    ax.margins(y=0.15)


def writers_figure(rows: Sequence[ReleaseRow], what: str) -> Figure:
    """One count per writer (pseudonym) with accepted sentences: ``age`` buckets or ``gender``."""
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.add_subplot()
    profile = {r.writer: (r.age, r.user_gender) for r in rows}
    if what == "age":
        ages = Counter(age for age, _ in profile.values())
        counts = [(str(age), ages[age]) for age in sorted(a for a in ages if a is not None)]
        ax.set_xlabel("age bucket (5 years, under 20 in 20)")
    else:
        genders = Counter(gender for _, gender in profile.values())
        counts = [(g, genders[g]) for g in ("female", "male") if genders[g]]
    unknown = sum(
        1 for age, gender in profile.values() if (age if what == "age" else gender) is None
    )
    if unknown:
        counts.append(("unknown", unknown))
    bar_counts(ax, counts, "#2ca02c", "no writers")
    ax.set_ylabel("writers")
    return fig
