"""Rounds and fooling metrics: which model each writer fooled, and how often.

A *round* is a named period of the campaign, from its start until the next round starts,
with the model version(s) in the loop during it. A campaign that never names one has one
round, ``round-1``, from the beginning. Every submission belongs to the round in which it
was made and knows the model version of its verdict (from the verdict's receipt).

The figures, as in Dynabench, DynaHate and ANLI:

* **MER** (model error rate) = fooled / submitted: the share of sentences whose verified
  verdict the writer flipped.
* **vMER** (verified model error rate) = fooled and verified / submitted: the fooling was
  confirmed by other people. A fooled sentence is *verified* when validation is on and
  agreed with the writer's label, or, when validation is off, when the managers' vote
  accepted it (APEACH's managers only drop; their acceptance is the check the method has).
* dropped: sentences the managers' vote dropped.

Pure logic, no I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Literal

from .timestamps import parse_time

DEFAULT_ROUND: Final[str] = "round-1"

Dimension = Literal["round", "topic", "writer", "model_version"]
DIMENSIONS: Final[tuple[Dimension, ...]] = ("round", "topic", "writer", "model_version")


@dataclass(frozen=True)
class Round:
    name: str
    started_at: datetime  # timezone-aware
    model_versions: tuple[str, ...] = ()  # pinned for the round; empty: whatever the backend served


def round_of(created_at: str, rounds: Sequence[Round]) -> str:
    """The round a submission made at ``created_at`` belongs to: the latest one started by then.

    Submissions made before the first round started (or with no readable time) belong to
    the first round; a campaign without rounds has one, ``round-1``."""
    if not rounds:
        return DEFAULT_ROUND
    ordered = sorted(rounds, key=lambda r: r.started_at)
    when = parse_time(created_at)
    current = ordered[0].name
    if when is None:
        return current
    for r in ordered:
        if r.started_at <= when:
            current = r.name
    return current


@dataclass(frozen=True)
class FoolingRecord:
    """One submission as the fooling figures see it."""

    submission_id: int
    round: str
    topic: str
    writer: str
    model_version: str  # of the verified verdict; "" when no verdict counted
    fooled: bool
    verified: (
        bool  # fooled and confirmed by other people (validation, else the managers' acceptance)
    )
    dropped: bool


@dataclass
class FoolingCounts:
    submitted: int = 0
    fooled: int = 0
    verified_fooled: int = 0
    dropped: int = 0
    submissions: list[int] = field(default_factory=list)

    def add(self, record: FoolingRecord) -> None:
        self.submitted += 1
        self.fooled += record.fooled
        self.verified_fooled += record.fooled and record.verified
        self.dropped += record.dropped
        self.submissions.append(record.submission_id)

    @property
    def mer(self) -> float | None:
        return self.fooled / self.submitted if self.submitted else None

    @property
    def vmer(self) -> float | None:
        return self.verified_fooled / self.submitted if self.submitted else None


KEYS: Final[dict[Dimension, Callable[[FoolingRecord], str]]] = {
    "round": lambda r: r.round,
    "topic": lambda r: r.topic,
    "writer": lambda r: r.writer,
    "model_version": lambda r: r.model_version,
}


def fooling_metrics(records: Iterable[FoolingRecord], by: Dimension) -> dict[str, FoolingCounts]:
    """Submitted, fooled, verified fooled and dropped per value of ``by``, in first-seen order
    (rounds in the order given: pass records sorted by submission)."""
    if by not in KEYS:
        raise ValueError(f"unknown dimension {by!r}; expected one of {', '.join(DIMENSIONS)}")
    counts: dict[str, FoolingCounts] = defaultdict(FoolingCounts)
    for record in records:
        counts[KEYS[by](record)].add(record)
    return dict(counts)
