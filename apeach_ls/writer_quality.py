"""Writer quality: per writer, how their sentences fared, and who is held for review.

Per writer: sentences, fooled rate, drops by reason (the managers' tally), near-duplicates
and copy-paste hits (the aids), unverified verdicts (a verdict whose receipt does not verify,
or none at all). A writer whose figures go over the campaign's thresholds (``[quality]``) is
put on hold: their sentences made from then on are not paid until an admin releases the
hold (``apeach-ls writers release``). After a release the figures start again from the
release, so a writer is held again only for what they write after it.

Rates are over the writer's sentences, the drop rate over their decided (accepted or
dropped) ones; a writer with fewer than ``min_sentences`` sentences is not judged.
Pure logic, no I/O.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .timestamps import parse_time

DROPPED = "dropped"
DECIDED = frozenset({"accepted", DROPPED})
UNVERIFIED_FLAGS = frozenset({"verdict_unverified", "no_verdict"})  # correction.Flag values
NEAR_DUPLICATE, COPY_PASTE = "near_duplicate", "copy_paste"  # aids flags


@dataclass(frozen=True)
class SentenceRecord:
    """One submission as the quality check sees it."""

    submission_id: int
    writer_id: int  # Label Studio user id
    created_at: str  # ISO 8601, when the writer submitted it
    fooled: bool
    unverified: bool  # its verdict does not count (unverified receipt, or no verdict)
    outcome: str  # the managers' tally: accepted / dropped / pending
    drop_reasons: tuple[str, ...] = ()
    near_duplicate: bool = False
    copy_paste: bool = False


def sentence_records(
    submissions: Iterable[Any],
    outcomes: Mapping[int, tuple[str, Sequence[str]]],
    aid_flags: Mapping[int, Iterable[str]],
) -> list[SentenceRecord]:
    """Records from corrected submissions (``labelstudio.submissions.Submission``), the stored
    tally (``{id: (outcome, reasons)}``, pending when absent) and each one's aid flags.
    Submissions without a writer are left out."""
    records = []
    for s in submissions:
        if s.writer_id is None:
            continue
        outcome, reasons = outcomes.get(s.submission_id, ("pending", ()))
        flags = set(aid_flags.get(s.submission_id, ()))
        records.append(
            SentenceRecord(
                submission_id=s.submission_id,
                writer_id=int(s.writer_id),
                created_at=s.created_at,
                fooled=s.corrected.fooled,
                unverified=bool({f.value for f in s.corrected.flags} & UNVERIFIED_FLAGS),
                outcome=outcome,
                drop_reasons=tuple(reasons) if outcome == DROPPED else (),
                near_duplicate=NEAR_DUPLICATE in flags,
                copy_paste=COPY_PASTE in flags,
            )
        )
    return records


@dataclass
class WriterQuality:
    writer_id: int
    sentences: int = 0
    fooled: int = 0
    decided: int = 0
    dropped: int = 0
    drops_by_reason: Counter[str] = field(default_factory=Counter)
    near_duplicates: int = 0
    copy_paste: int = 0
    unverified: int = 0
    since: datetime | None = None  # counted from this release of a hold on; None: all

    def _rate(self, n: int, of: int) -> float:
        return n / of if of else 0.0

    @property
    def fooled_rate(self) -> float:
        return self._rate(self.fooled, self.sentences)

    @property
    def drop_rate(self) -> float:
        return self._rate(self.dropped, self.decided)

    @property
    def duplicate_rate(self) -> float:
        return self._rate(self.near_duplicates, self.sentences)

    @property
    def copy_rate(self) -> float:
        return self._rate(self.copy_paste, self.sentences)

    @property
    def unverified_rate(self) -> float:
        return self._rate(self.unverified, self.sentences)


def writer_quality(
    records: Iterable[SentenceRecord], after: Mapping[int, datetime] | None = None
) -> dict[int, WriterQuality]:
    """The figures of every writer, by Label Studio user id. ``after``: per writer, count
    only sentences made after this time (their last released hold)."""
    after = after or {}
    quality: dict[int, WriterQuality] = {}
    for r in sorted(records, key=lambda r: r.submission_id):
        q = quality.setdefault(
            r.writer_id, WriterQuality(r.writer_id, since=after.get(r.writer_id))
        )
        made = parse_time(r.created_at)
        if q.since is not None and made is not None and made <= q.since:
            continue
        q.sentences += 1
        q.fooled += r.fooled
        q.unverified += r.unverified
        q.near_duplicates += r.near_duplicate
        q.copy_paste += r.copy_paste
        if r.outcome in DECIDED:
            q.decided += 1
        if r.outcome == DROPPED:
            q.dropped += 1
            q.drops_by_reason.update(r.drop_reasons)
    return quality


@dataclass(frozen=True)
class QualityThresholds:
    """The ``[quality]`` section: a writer is held when any rate goes over its maximum."""

    min_sentences: int = 5
    max_fooled_rate: float | None = None
    max_drop_rate: float | None = None
    max_duplicate_rate: float | None = None
    max_copy_rate: float | None = None
    max_unverified_rate: float | None = None

    RATES = (
        ("max_fooled_rate", "fooled_rate", "fooled rate"),
        ("max_drop_rate", "drop_rate", "drop rate"),
        ("max_duplicate_rate", "duplicate_rate", "near-duplicate rate"),
        ("max_copy_rate", "copy_rate", "copy-paste rate"),
        ("max_unverified_rate", "unverified_rate", "unverified-verdict rate"),
    )

    @property
    def active(self) -> bool:
        return any(getattr(self, key) is not None for key, _, _ in self.RATES)


def over_thresholds(quality: WriterQuality, thresholds: QualityThresholds) -> list[str]:
    """What puts the writer over the thresholds ("drop rate 0.60 > 0.50"); empty when nothing
    does or when they have fewer than ``min_sentences`` sentences."""
    if quality.sentences < thresholds.min_sentences:
        return []
    reasons = []
    for key, rate, name in thresholds.RATES:
        limit = getattr(thresholds, key)
        value = getattr(quality, rate)
        if limit is not None and value > limit:
            reasons.append(f"{name} {value:.2f} > {limit:.2f}")
    return reasons


@dataclass(frozen=True)
class WriterHold:
    """A writer's sentences made from ``since`` on are not paid until the hold is released."""

    writer_id: int
    since: datetime  # timezone-aware
    reason: str
    released_at: datetime | None = None
    released_by: str | None = None

    @property
    def active(self) -> bool:
        return self.released_at is None


def last_releases(holds: Iterable[WriterHold]) -> dict[int, datetime]:
    """Per writer, when their latest hold was released (the quality figures start there)."""
    latest: dict[int, datetime] = {}
    for h in holds:
        if h.released_at is not None and (
            h.writer_id not in latest or h.released_at > latest[h.writer_id]
        ):
            latest[h.writer_id] = h.released_at
    return latest


def holds_to_add(
    quality: Mapping[int, WriterQuality],
    thresholds: QualityThresholds,
    holds: Iterable[WriterHold],
) -> dict[int, str]:
    """``{writer: reason}`` of writers over the thresholds who are not on hold already."""
    on_hold = {h.writer_id for h in holds if h.active}
    found = {}
    for writer, q in sorted(quality.items()):
        reasons = over_thresholds(q, thresholds)
        if reasons and writer not in on_hold:
            found[writer] = "; ".join(reasons)
    return found


def held_reason(
    writer_id: int, created_at: str, holds: Iterable[WriterHold], updated_at: str = ""
) -> str | None:
    """Why a sentence is not paid yet: its writer is on hold since before it was made or
    last changed (``updated_at``: a sentence made before the hold and rewritten during it
    waits too; a sentence without a readable time counts as made during the hold).
    None: payable."""
    made = parse_time(created_at)
    changed = parse_time(updated_at)
    if made is not None and changed is not None:
        made = max(made, changed)
    for h in holds:
        if h.writer_id == writer_id and h.active and (made is None or made >= h.since):
            return (
                f"writer on hold since {h.since.isoformat(timespec='seconds')} ({h.reason}); "
                f"release with: apeach-ls writers release"
            )
    return None
