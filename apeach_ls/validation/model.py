"""Validation of fooled sentences: its vocabulary and records.

When a campaign turns validation on, every fooled sentence (its verified verdict flipped by
the writer) is shown to other people, who say whether the writer's label is right. Values
are stable machine strings (the labeling config stores them through ``alias``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

# What one validator says about the writer's label of one sentence.
Answer = Literal["right", "wrong"]
RIGHT: Final[Answer] = "right"  # the writer's label is right: the fooling is verified
WRONG: Final[Answer] = "wrong"  # the writer's label is wrong: the model was not fooled
ANSWERS: Final[tuple[Answer, Answer]] = (RIGHT, WRONG)

# When validation stops.
AGREEING: Final[int] = 2  # this many answers, all the same, decide
MAX_ANSWERS: Final[int] = 5  # otherwise answers are collected up to this many; a majority decides

# Why the tally left an answer out.
Ignored = Literal[
    "not_a_validator",
    "changed_by_other",
    "not_own_project",
    "own_sentence",
    "cancelled",
    "superseded",
    "after_decision",
    "sentence_changed",
]
NOT_A_VALIDATOR: Final[Ignored] = "not_a_validator"  # not on the campaign's validator list
CHANGED_BY_OTHER: Final[Ignored] = "changed_by_other"  # made or changed by another account
NOT_OWN_PROJECT: Final[Ignored] = "not_own_project"  # in another validator's project
OWN_SENTENCE: Final[Ignored] = "own_sentence"  # the validator wrote the sentence
CANCELLED: Final[Ignored] = "cancelled"  # skipped in Label Studio
SUPERSEDED: Final[Ignored] = "superseded"  # the same validator has a more recently updated answer
AFTER_DECISION: Final[Ignored] = "after_decision"  # the earlier answers had decided already
SENTENCE_CHANGED: Final[Ignored] = "sentence_changed"  # the writer rewrote text or label since
IGNORED: Final[tuple[Ignored, ...]] = (
    NOT_A_VALIDATOR,
    CHANGED_BY_OTHER,
    NOT_OWN_PROJECT,
    OWN_SENTENCE,
    CANCELLED,
    SUPERSEDED,
    AFTER_DECISION,
    SENTENCE_CHANGED,
)

# What the tally makes of a fooled sentence (stored as text).
Status = Literal["verified", "rejected", "undecided"]
VERIFIED: Final[Status] = "verified"  # the writer's label was validated right
REJECTED: Final[Status] = "rejected"  # validated wrong
UNDECIDED: Final[Status] = "undecided"  # not enough answers yet
STATUSES: Final[tuple[Status, ...]] = (VERIFIED, REJECTED, UNDECIDED)


@dataclass(frozen=True)
class ValidationAnswer:
    """One annotation in a validator's validation project.

    As for the managers' votes (``votes.model.ManagerVote``): ``validator`` is the account
    the annotation is recorded for (``completed_by``), ``cast_by`` the account that created
    or last changed it (``updated_by``, set by Label Studio from the request's token; None
    when none is recorded), ``project_validator`` the validator whose own project holds it,
    ``shown`` the sentence and writer's label the validation task showed.
    All are e-mails. ``answer_id`` is the annotation id (it grows with creation).
    """

    submission_id: int
    validator: str
    answer: Answer
    answer_id: int
    updated_at: str
    cancelled: bool = False
    cast_by: str | None = None
    project_validator: str | None = None
    shown: tuple[str, str] | None = None  # the (text, label) the validator was asked about


@dataclass(frozen=True)
class IgnoredAnswer:
    answer: ValidationAnswer
    why: Ignored


@dataclass(frozen=True)
class Decision:
    """What a list of counted answers decides.

    ``verified``: True (the writer's label is right), False (wrong), None (undecided).
    ``needs_more``: the fewest further answers that could decide it (0 once decided)."""

    verified: bool | None
    needs_more: int

    @property
    def status(self) -> Status:
        return UNDECIDED if self.verified is None else VERIFIED if self.verified else REJECTED


@dataclass(frozen=True)
class ValidationResult:
    """The tally of one fooled sentence: its decision, the answers counted and left out."""

    submission_id: int
    decision: Decision
    counted: tuple[ValidationAnswer, ...] = ()
    ignored: tuple[IgnoredAnswer, ...] = ()

    @property
    def verified(self) -> bool | None:
        return self.decision.verified

    @property
    def rights(self) -> int:
        return sum(1 for a in self.counted if a.answer == RIGHT)

    @property
    def wrongs(self) -> int:
        return sum(1 for a in self.counted if a.answer == WRONG)
