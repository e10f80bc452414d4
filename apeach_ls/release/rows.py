"""Release rows: the accepted submissions in the APEACH schema, plus extended fields.

Pure logic, no I/O. Only sentences whose tally outcome is ``accepted`` are released, each
sentence once and never with two classes (``consistency``: repeats are held back).
Writers appear under a pseudonym (a salted hash of their Label Studio id, never the
e-mail); their age and gender come from the campaign's roster, empty when unknown.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

from ..correction import Flag
from ..labels import HATE, Label
from ..rounds import DEFAULT_ROUND, Round, fooling_record
from ..votes.model import ACCEPTED
from .consistency import HeldBack, hold_back_repeats

if TYPE_CHECKING:
    from ..labelstudio.submissions import Submission

# The released dataset's CSV header, byte-for-byte (docs/method.md §7).
APEACH_COLUMNS: Final[tuple[str, ...]] = (
    "text",
    "user_age",
    "user_gender",
    "text_topic",
    "class",
    "age",
    "text_topic_eng",
)
ApeachClass = Literal["Spoiled", "Default"]
SPOILED: Final[ApeachClass] = "Spoiled"  # hate
DEFAULT: Final[ApeachClass] = "Default"  # not hate
YOUNGEST_BUCKET: Final[int] = 20  # writers under 20 are put in the 20 bucket


class WriterProfile(Protocol):
    @property
    def age(self) -> int | None: ...

    @property
    def gender(self) -> str | None: ...


class RosterLookup(Protocol):
    def find(self, writer_id: int, email: str | None) -> WriterProfile | None: ...


class SubmissionTally(Protocol):
    """What the release needs of a tally (``votes.store.StoredTally`` has it)."""

    @property
    def outcome(self) -> str: ...

    @property
    def reasons(self) -> tuple[str, ...]: ...

    @property
    def keeps(self) -> int: ...

    @property
    def drops(self) -> int: ...


def apeach_class(label: Label) -> ApeachClass:
    """``Spoiled`` for hate, ``Default`` for not hate (from the corrected label)."""
    return SPOILED if label == HATE else DEFAULT


def age_bucket(age: int | None) -> int | None:
    """The 5-year bucket, floored, with writers under 20 in 20: 37 -> 35, 68 -> 65, 19 -> 20."""
    if age is None:
        return None
    return max(YOUNGEST_BUCKET, age // 5 * 5)


def writer_pseudonym(salt: str, writer_id: int | None) -> str:
    """A stable pseudonymous writer id: salted with the campaign database's secret id."""
    if writer_id is None:
        return ""
    return hashlib.sha256(f"{salt}:{writer_id}".encode()).hexdigest()[:16]


def release_id(campaign: str, submission_id: int) -> str:
    return f"apeach-ls:{campaign}:{submission_id}"


@dataclass(frozen=True)
class ReleaseRow:
    # the APEACH schema
    text: str
    user_age: int | None
    user_gender: str | None
    text_topic: str
    apeach_class: ApeachClass  # the `class` column
    age: int | None
    text_topic_eng: str
    # extended fields
    id: str
    submission_id: int  # exported as annotation_id (its Label Studio id)
    task_id: int
    prompt_id: str
    writer: str  # pseudonym
    label: Label
    intent: str | None
    verdict: str | None
    verdict_score: float | None
    agreement: str | None
    fooled: bool
    outcome: str
    keeps: int
    drops: int
    reasons: tuple[str, ...]
    flags: tuple[str, ...]
    created_at: str
    lead_time: float | None
    round: str = DEFAULT_ROUND  # the campaign round the sentence was written in
    model_version: str | None = None  # the model whose verified verdict the writer saw
    verified: bool = False  # fooled, and the fooling verified (rounds.fooling_record)

    def apeach(self) -> dict[str, str]:
        """The APEACH CSV fields as text; unknown values are empty."""

        def text(value: object) -> str:
            return "" if value is None else str(value)

        return {
            "text": self.text,
            "user_age": text(self.user_age),
            "user_gender": text(self.user_gender),
            "text_topic": self.text_topic,
            "class": self.apeach_class,
            "age": text(self.age),
            "text_topic_eng": self.text_topic_eng,
        }

    def extended(self) -> dict[str, Any]:
        """Every field, JSON-ready, in a fixed order: the id, the APEACH columns, the rest."""
        return {
            "id": self.id,
            "text": self.text,
            "user_age": self.user_age,
            "user_gender": self.user_gender,
            "text_topic": self.text_topic,
            "class": self.apeach_class,
            "age": self.age,
            "text_topic_eng": self.text_topic_eng,
            "annotation_id": self.submission_id,
            "task_id": self.task_id,
            "prompt_id": self.prompt_id,
            "writer": self.writer,
            "label": self.label,
            "intent": self.intent,
            "verdict": self.verdict,
            "verdict_score": self.verdict_score,
            "agreement": self.agreement,
            "fooled": self.fooled,
            "verified": self.verified,
            "round": self.round,
            "model_version": self.model_version,
            "outcome": self.outcome,
            "keeps": self.keeps,
            "drops": self.drops,
            "reasons": list(self.reasons),
            "flags": list(self.flags),
            "created_at": self.created_at,
            "lead_time": self.lead_time,
        }


@dataclass(frozen=True)
class Skipped:
    submission_id: int
    why: str


@dataclass(frozen=True)
class ReleaseBuild:
    rows: tuple[ReleaseRow, ...]  # ordered by annotation id
    skipped: tuple[Skipped, ...]  # accepted in the tally but not releasable
    held_back: tuple[
        HeldBack, ...
    ] = ()  # accepted, but the sentence repeats another (conflict, duplicate)


def build_release(
    campaign: str,
    submissions: Iterable[Submission],
    tallies: Mapping[int, SubmissionTally],
    roster: RosterLookup,
    emails: Mapping[int, str],
    salt: str,
    rounds: Sequence[Round] = (),
    verified_by_validation: Mapping[int, bool] | None = None,
) -> ReleaseBuild:
    """Release rows of the accepted submissions (``Submission`` objects from Label Studio).

    An accepted tally whose submission is gone from Label Studio, or a submission with no
    label at all (neither verdict nor intent), is listed in ``skipped`` instead. A sentence
    accepted more than once is released once, from the earliest submission, or not at all
    when it was accepted with both classes; the others are listed in ``held_back``.
    Each row carries its round (from ``rounds``), its verdict's model version, and whether
    its fooling is verified (``rounds.fooling_record``: accepted, or validated when
    ``verified_by_validation`` is given).
    """
    by_id = {s.submission_id: s for s in submissions}
    rows: list[ReleaseRow] = []
    skipped: list[Skipped] = []
    for submission_id in sorted(sid for sid, t in tallies.items() if t.outcome == ACCEPTED):
        submission = by_id.get(submission_id)
        if submission is None:
            skipped.append(
                Skipped(submission_id, "accepted, but not found in the generation project")
            )
        elif submission.corrected.label is None:
            skipped.append(
                Skipped(submission_id, "accepted, but has neither a verdict nor an intent")
            )
        else:
            row = release_row(campaign, submission, tallies[submission_id], roster, emails, salt)
            record = fooling_record(
                submission,
                row.outcome,
                rounds,
                row.writer,
                None
                if verified_by_validation is None
                else bool(verified_by_validation.get(submission_id, False)),
            )
            rows.append(
                replace(
                    row,
                    round=record.round,
                    model_version=submission.corrected.model_version,
                    verified=record.verified,
                )
            )
    consistent = hold_back_repeats(rows)
    return ReleaseBuild(consistent.rows, tuple(skipped), consistent.held_back)


def release_row(
    campaign: str,
    submission: Submission,
    tally: SubmissionTally,
    roster: RosterLookup,
    emails: Mapping[int, str],
    salt: str,
) -> ReleaseRow:
    corrected = submission.corrected
    label = corrected.label
    if label is None:
        raise ValueError(f"submission {submission.submission_id} has no label to release")
    writer_id = submission.writer_id
    profile = roster.find(writer_id, emails.get(writer_id)) if writer_id is not None else None
    user_age = profile.age if profile is not None else None
    prompt = submission.prompt
    return ReleaseRow(
        text=corrected.text,
        user_age=user_age,
        user_gender=profile.gender if profile is not None else None,
        text_topic=str(prompt.get("topic") or ""),
        apeach_class=apeach_class(label),
        age=age_bucket(user_age),
        text_topic_eng=str(prompt.get("topic_eng") or ""),
        id=release_id(campaign, submission.submission_id),
        submission_id=submission.submission_id,
        task_id=submission.task_id,
        prompt_id=str(prompt.get("prompt_id") or ""),
        writer=writer_pseudonym(salt, writer_id),
        label=label,
        intent=corrected.intent,
        verdict=corrected.verdict.label if corrected.verdict is not None else None,
        verdict_score=corrected.verdict.score if corrected.verdict is not None else None,
        agreement=corrected.agreement,
        fooled=corrected.fooled,
        outcome=tally.outcome,
        keeps=tally.keeps,
        drops=tally.drops,
        reasons=tuple(sorted(tally.reasons)),
        flags=tuple(sorted(f.value if isinstance(f, Flag) else str(f) for f in corrected.flags)),
        created_at=submission.created_at,
        lead_time=submission.lead_time,
    )
