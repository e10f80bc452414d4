"""Rounds and fooling metrics: which model each writer fooled, and how often.

A *round* is a named period of the campaign, from its start until the next round starts,
with the model version(s) in the loop during it. A campaign that never names one has one
round, ``round-1``, from the beginning. Every submission belongs to the round in which its
verdict was given (its receipt's signed time; without a verified verdict, when it was made)
and knows the model version of that verdict (from the receipt).

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

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final, Literal

from .errors import ApeachError
from .timestamps import parse_time
from .votes.model import ACCEPTED, DROPPED

if TYPE_CHECKING:
    from .labelstudio.submissions import Submission

DEFAULT_ROUND: Final[str] = "round-1"
ALL: Final[str] = "all"  # the figures' total row; not a round name
CAMPAIGN_START: Final[datetime] = datetime(1970, 1, 1, tzinfo=UTC)  # the implicit round's start
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_VERSION_RE = re.compile(r"^[^\s\x00-\x1f]{1,200}$")

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


def attempted_at(submission: Submission) -> str:
    """When the writer tried to fool the model: the time of the verdict's verified receipt
    (signed by the backend, so a writer cannot move it), else when the submission was made.

    A verdict kept from an earlier round and submitted later fooled that round's model; a
    sentence given a new verdict later (edited) was tried against the model of then."""
    receipt = submission.corrected.receipt
    if receipt is None:
        return submission.created_at
    return datetime.fromtimestamp(receipt.issued_at, UTC).isoformat()


class RoundError(ApeachError):
    """A round cannot be started or pinned as asked."""


def check_round_name(name: str) -> str:
    if not _NAME_RE.match(name) or name.lower() == ALL:
        raise RoundError(
            f"round name {name!r} is not allowed: use 1 to 64 letters, digits, '.', '_' or '-', "
            f"starting with a letter or digit, not {ALL!r} (e.g. round-2)"
        )
    return name


def start_round(rounds: Sequence[Round], name: str, at: datetime) -> list[Round]:
    """The rounds to store so that ``name`` starts at ``at`` (timezone-aware).

    The first named round of a campaign that had none also records the implicit
    ``round-1`` from the campaign's beginning (unless ``name`` is ``round-1`` itself), so
    the submissions made before keep their round. A new round must start after every
    stored one; starting a round that exists (or one whose name differs only in case) is
    refused (it would move its submissions).
    """
    check_round_name(name)
    if at.tzinfo is None:
        raise ValueError("a round's start must be timezone-aware")
    existing = {r.name: r for r in rounds}
    if name in existing:
        raise RoundError(
            f"round {name!r} was already started at {existing[name].started_at.isoformat()}; "
            "choose another name (see: apeach-ls rounds list)"
        )
    same = [r for r in rounds if r.name.lower() == name.lower()]
    if same:  # a typo in the case would start a second round by mistake
        raise RoundError(
            f"round {name!r} is round {same[0].name!r}, started at "
            f"{same[0].started_at.isoformat()}; round names differ by more than case "
            "(see: apeach-ls rounds list)"
        )
    latest = max(rounds, key=lambda r: r.started_at, default=None)
    if latest is not None and at <= latest.started_at:
        raise RoundError(
            f"round {name!r} would start at {at.isoformat()}, not after round {latest.name!r} "
            f"(started {latest.started_at.isoformat()}); rounds follow each other in time"
        )
    new = [Round(name, at)]
    if not rounds and name != DEFAULT_ROUND:
        new.insert(0, Round(DEFAULT_ROUND, CAMPAIGN_START))
    return new


def pin_model(rounds: Sequence[Round], name: str, model_version: str) -> Round:
    """Round ``name`` with ``model_version`` among its pinned versions (pinning twice is a no-op).

    A campaign without stored rounds can pin to ``round-1``: it is the implicit round."""
    if not _VERSION_RE.match(model_version):
        raise RoundError(
            f"model version {model_version!r} is not a model version (no spaces, at most 200 characters); "
            "see: apeach-ls models list"
        )
    found = {r.name: r for r in rounds}.get(name)
    if found is None and not rounds and name == DEFAULT_ROUND:
        found = Round(DEFAULT_ROUND, CAMPAIGN_START)
    if found is None:
        known = ", ".join(r.name for r in rounds) or f"only {DEFAULT_ROUND}, the implicit one"
        raise RoundError(
            f"no round {name!r} in this campaign (rounds: {known}); start it with: "
            f"apeach-ls rounds start {name}"
        )
    if model_version in found.model_versions:
        return found
    return replace(found, model_versions=(*found.model_versions, model_version))


def current_rounds(rounds: Sequence[Round]) -> list[Round]:
    """The campaign's rounds in order of start; the implicit ``round-1`` when none was named."""
    return sorted(rounds, key=lambda r: r.started_at) or [Round(DEFAULT_ROUND, CAMPAIGN_START)]


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


def fooling_record(
    submission: Submission,
    outcome: str | None,
    rounds: Sequence[Round],
    writer: str,
    validated: bool | None = None,
) -> FoolingRecord:
    """One submission's record: its round (by the time of its verdict, ``attempted_at``),
    its verdict's model version, fooled, verified and dropped.

    ``outcome`` is the managers' tally (None: not tallied). Without validation
    (``validated`` None) a fooling is verified when the managers' vote accepted the
    sentence. With validation, when other people agreed with the writer's label
    (``validated`` True) and the managers did not drop it.
    """
    corrected = submission.corrected
    fooled = bool(corrected.fooled)
    dropped = outcome == DROPPED
    if validated is None:
        verified = fooled and outcome == ACCEPTED
    else:
        verified = fooled and validated and not dropped
    return FoolingRecord(
        submission_id=submission.submission_id,
        round=round_of(attempted_at(submission), rounds),
        topic=str(submission.prompt.get("topic") or ""),
        writer=writer,
        model_version=corrected.model_version or "",
        fooled=fooled,
        verified=verified,
        dropped=dropped,
    )


def fooling_records(
    submissions: Iterable[Submission],
    outcomes: Mapping[int, str],
    rounds: Sequence[Round],
    writer_of: Callable[[Submission], str],
    verified_by_validation: Mapping[int, bool] | None = None,
) -> list[FoolingRecord]:
    """Every submission's record, in order of submission (annotation id).

    ``outcomes``: tally outcome per submission id. ``verified_by_validation``: None when
    validation is off; else the validation outcome per submission id (a fooled sentence
    missing from it is not verified yet).
    """
    records = []
    for s in sorted(submissions, key=lambda s: s.submission_id):
        validated = (
            None
            if verified_by_validation is None
            else bool(verified_by_validation.get(s.submission_id, False))
        )
        records.append(
            fooling_record(s, outcomes.get(s.submission_id), rounds, writer_of(s), validated)
        )
    return records


def metrics_by_round(
    records: Iterable[FoolingRecord], rounds: Sequence[Round]
) -> dict[str, FoolingCounts]:
    """Per round in order of start, every round listed (one without submissions counts 0),
    except the implicit ``round-1`` when nothing was submitted in it."""
    counts = fooling_metrics(records, "round")
    ordered: dict[str, FoolingCounts] = {}
    for r in current_rounds(rounds):
        if r.name in counts or not (r.name == DEFAULT_ROUND and r.started_at == CAMPAIGN_START):
            ordered[r.name] = counts.pop(r.name, FoolingCounts())
    ordered.update(counts)
    return ordered


def percent(value: float | None) -> str:
    """``72.1%``; ``n/a`` without submissions."""
    return "n/a" if value is None else f"{100 * value:.1f}%"


METRIC_COLUMNS: Final[tuple[str, ...]] = (
    "submitted",
    "fooled",
    "MER",
    "verified fooled",
    "vMER",
    "dropped",
)


def metric_rows(
    counts: Mapping[str, FoolingCounts],
) -> list[tuple[str, int, int, str, int, str, int]]:
    """One row per key: key, submitted, fooled, MER, verified fooled, vMER, dropped; a total last."""
    total = FoolingCounts(
        submitted=sum(c.submitted for c in counts.values()),
        fooled=sum(c.fooled for c in counts.values()),
        verified_fooled=sum(c.verified_fooled for c in counts.values()),
        dropped=sum(c.dropped for c in counts.values()),
    )
    return [
        (key, c.submitted, c.fooled, percent(c.mer), c.verified_fooled, percent(c.vmer), c.dropped)
        for key, c in [*counts.items(), (ALL, total)]
    ]
