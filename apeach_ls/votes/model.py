"""The managers' vote: its vocabulary and records.

Values are stable machine strings (the labeling config stores them through ``alias``).
Each vocabulary is a tuple of constants; named subsets are frozensets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

# What one manager says about one sentence.
Decision = Literal["keep", "drop"]
KEEP: Final[Decision] = "keep"
DROP: Final[Decision] = "drop"
DECISIONS: Final[tuple[Decision, Decision]] = (KEEP, DROP)

# Why a manager drops a sentence (several may apply).
Reason = Literal["copied", "private_person", "off_topic", "other"]
COPIED: Final[Reason] = "copied"  # copy-pasted from the web (copyright)
PRIVATE_PERSON: Final[Reason] = "private_person"  # names a specific private person
OFF_TOPIC: Final[Reason] = "off_topic"  # unrelated to the prompt's topic
OTHER: Final[Reason] = "other"  # explained in the vote's note
REASONS: Final[tuple[Reason, ...]] = (COPIED, PRIVATE_PERSON, OFF_TOPIC, OTHER)

# What the tally makes of a sentence.
Outcome = Literal["accepted", "dropped", "pending"]
ACCEPTED: Final[Outcome] = "accepted"  # part of the dataset; the writer is paid for it
DROPPED: Final[Outcome] = "dropped"
PENDING: Final[Outcome] = "pending"  # not enough valid votes yet
OUTCOMES: Final[tuple[Outcome, ...]] = (ACCEPTED, DROPPED, PENDING)
DECIDED: Final[frozenset[Outcome]] = frozenset({ACCEPTED, DROPPED})

# How the counted votes decide.
Rule = Literal["majority", "any_drop"]
MAJORITY: Final[Rule] = "majority"  # dropped when more than half of the k votes drop
ANY_DROP: Final[Rule] = "any_drop"  # dropped as soon as one valid vote drops
RULES: Final[tuple[Rule, Rule]] = (MAJORITY, ANY_DROP)
DEFAULT_K: Final[int] = 3  # managers per sentence, as in APEACH

# Why the tally left a vote out.
Ignored = Literal[
    "not_a_manager",
    "changed_by_other",
    "not_own_project",
    "own_sentence",
    "cancelled",
    "superseded",
    "beyond_k",
    "sentence_changed",
]
NOT_A_MANAGER: Final[Ignored] = "not_a_manager"  # the voter is not on the campaign's manager list
# another account created the vote in the voter's name or changed it since (or none is recorded)
CHANGED_BY_OTHER: Final[Ignored] = "changed_by_other"
NOT_OWN_PROJECT: Final[Ignored] = "not_own_project"  # cast in another manager's vote project
OWN_SENTENCE: Final[Ignored] = "own_sentence"  # a manager voted on a sentence they wrote
CANCELLED: Final[Ignored] = "cancelled"  # skipped or withdrawn in Label Studio
SUPERSEDED: Final[Ignored] = "superseded"  # the same manager has a more recently updated vote
BEYOND_K: Final[Ignored] = "beyond_k"  # k other managers had voted earlier
# the writer rewrote the sentence (text, intent or label) since the vote task was made
SENTENCE_CHANGED: Final[Ignored] = "sentence_changed"
IGNORED: Final[tuple[Ignored, ...]] = (
    NOT_A_MANAGER,
    CHANGED_BY_OTHER,
    NOT_OWN_PROJECT,
    OWN_SENTENCE,
    CANCELLED,
    SUPERSEDED,
    BEYOND_K,
    SENTENCE_CHANGED,
)


@dataclass(frozen=True)
class ShownSentence:
    """One version of a writer's sentence, as a vote task shows it to the managers.

    ``text`` is the sentence; ``version`` a keyed digest of the text, the writer's intent and
    the label (vote tasks never show the label, so the task carries this digest instead,
    which does not reveal it). ``version`` is None for a vote task made before vote tasks
    carried one: such a vote is bound to its text only.
    """

    text: str
    version: str | None = None

    def still(self, current: ShownSentence) -> bool:
        """Whether a vote shown this is about the sentence ``current`` (its version now)."""
        if self.text != current.text:
            return False
        return self.version is None or self.version == current.version


@dataclass(frozen=True)
class ManagerVote:
    """One annotation in a manager's vote project.

    ``manager`` is the voter, the account the annotation is recorded for (Label Studio's
    ``completed_by``, which any account can set). ``cast_by`` is the account that created
    the annotation or changed it last (Label Studio's ``updated_by``, which the server sets
    from the request's token); None when Label Studio recorded none (e.g. a vote imported
    with its task), and then the vote does not count. ``project_manager`` is the manager
    whose own vote project holds the annotation; None when unknown, and then the vote
    does not count either. All three are e-mails. ``shown`` is the version of the sentence
    the vote task showed (None when unknown).
    ``vote_id`` is the Label Studio annotation id: it grows with creation, so it orders
    votes by arrival. ``updated_at`` is the annotation's ISO 8601 update time.
    """

    submission_id: int
    manager: str  # e-mail
    decision: Decision
    reasons: frozenset[Reason]
    note: str
    vote_id: int
    updated_at: str
    cancelled: bool = False
    cast_by: str | None = None
    project_manager: str | None = None
    shown: ShownSentence | None = None  # the sentence the vote task showed


@dataclass(frozen=True)
class IgnoredVote:
    vote: ManagerVote
    why: Ignored


@dataclass(frozen=True)
class TallyResult:
    """The tally of one submission.

    ``reasons`` are the drop reasons the tally gives a dropped sentence (empty otherwise);
    ``reason_counts`` counts every reason named by the counted drop votes, whatever the outcome.
    ``sentence_version`` is the version of the sentence the counted votes are about (its
    version when tallied; None when the tally was given none): payouts and the release
    take the outcome only while the sentence is still that version.
    """

    submission_id: int
    outcome: Outcome
    reasons: frozenset[Reason]
    keeps: int
    drops: int
    reason_counts: Mapping[Reason, int] = field(default_factory=dict)
    counted: tuple[ManagerVote, ...] = ()
    ignored: tuple[IgnoredVote, ...] = ()
    sentence_version: str | None = None
