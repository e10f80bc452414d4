"""The validation tally: from validators' answers to verified / rejected / undecided.

Pure logic, no I/O. ``decide`` is the stopping rule on one sentence's counted answers, in
the order they arrived:

* the first ``AGREEING`` (2) answers agree: decided (right: verified; wrong: rejected);
* otherwise answers are collected until one side has a majority of ``MAX_ANSWERS`` (3 of
  5): decided that way. With two possible answers, 5 answers always decide;
* once decided, later answers change nothing (the writer may have been paid the bonus).

``tally`` picks each sentence's counted answers first, with the rules of the managers'
vote (``votes/tally.py``), applied to each answer in arrival order:

1. only the campaign's validators count (``not_a_validator``);
2. only answers the validator made themselves, unchanged since by anyone else
   (``changed_by_other``: Label Studio's ``updated_by`` is not the validator, or unknown);
3. only answers in the validator's own validation project (``not_own_project``);
4. **never on one's own sentence** (``own_sentence``): a validator's answer on a sentence
   they wrote is ignored (and ``assign`` never gives it to them);
5. skipped (cancelled) answers do not count (``cancelled``);
6. one answer per validator: their most recently updated one (``superseded``);
7. validators in the order of their first remaining answer; once the answers so far
   decide, the rest are ignored (``after_decision``).

After rule 4, an answer about a sentence or label the writer has rewritten since the
validation task was made is ignored (``sentence_changed``): it is not about this one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Final

from .. import answers as answers_rule
from ..answers import Refusal, email, refusal
from .model import (
    AFTER_DECISION,
    AGREEING,
    ANSWERS,
    CANCELLED,
    CHANGED_BY_OTHER,
    MAX_ANSWERS,
    NOT_A_VALIDATOR,
    NOT_OWN_PROJECT,
    OWN_SENTENCE,
    RIGHT,
    SENTENCE_CHANGED,
    SUPERSEDED,
    WRONG,
    Answer,
    Decision,
    Ignored,
    IgnoredAnswer,
    ValidationAnswer,
    ValidationResult,
)


def decide(answers: Sequence[Answer]) -> Decision:
    """The decision of counted answers in arrival order (see the module's rule).

    Answers after the point where the earlier ones decided are not looked at."""
    majority = MAX_ANSWERS // 2 + 1
    rights = wrongs = 0
    for answer in answers:
        if answer not in ANSWERS:
            raise ValueError(f"unknown answer {answer!r}; expected one of {', '.join(ANSWERS)}")
        rights += answer == RIGHT
        wrongs += answer == WRONG
        if (rights >= AGREEING and not wrongs) or rights >= majority:
            return Decision(True, 0)
        if (wrongs >= AGREEING and not rights) or wrongs >= majority:
            return Decision(False, 0)
    if not (rights and wrongs):  # unanimous so far (or none): AGREEING of them decide
        return Decision(None, AGREEING - rights - wrongs)
    return Decision(None, majority - max(rights, wrongs))


# why an answer does not count, in the tally's words (the shared rule says "not listed")
_NOT_COUNTED: Final[Mapping[Refusal, Ignored]] = {
    answers_rule.NOT_LISTED: NOT_A_VALIDATOR,
    answers_rule.CHANGED_BY_OTHER: CHANGED_BY_OTHER,
    answers_rule.NOT_OWN_PROJECT: NOT_OWN_PROJECT,
    answers_rule.OWN_SENTENCE: OWN_SENTENCE,
}


def _updated(answer: ValidationAnswer) -> datetime:
    try:
        when = datetime.fromisoformat(answer.updated_at.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"answer {answer.answer_id}: updated_at {answer.updated_at!r} is not an ISO 8601 time"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _tally_one(
    submission_id: int,
    answers: list[ValidationAnswer],
    validators: set[str],
    writer: str,
    current: tuple[str, str] | None = None,
) -> ValidationResult:
    ignored: list[IgnoredAnswer] = []
    by_validator: dict[str, list[ValidationAnswer]] = defaultdict(list)
    for answer in sorted(answers, key=lambda a: a.answer_id):
        who = email(answer.validator)
        why = refusal(
            answer.validator, answer.cast_by, answer.project_validator, validators, writer
        )
        if why is not None:
            ignored.append(IgnoredAnswer(answer, _NOT_COUNTED[why]))
        elif current is not None and answer.shown != current:
            ignored.append(IgnoredAnswer(answer, SENTENCE_CHANGED))
        elif answer.cancelled:
            ignored.append(IgnoredAnswer(answer, CANCELLED))
        else:
            by_validator[who].append(answer)
    ballots: list[tuple[int, ValidationAnswer]] = []
    for own in by_validator.values():
        latest = max(own, key=lambda a: (_updated(a), a.answer_id))
        ignored.extend(IgnoredAnswer(a, SUPERSEDED) for a in own if a is not latest)
        ballots.append((min(a.answer_id for a in own), latest))
    ballots.sort(key=lambda b: b[0])
    counted: list[ValidationAnswer] = []
    decision = decide([])
    for _, answer in ballots:
        if decision.verified is not None:
            ignored.append(IgnoredAnswer(answer, AFTER_DECISION))
            continue
        counted.append(answer)
        decision = decide([a.answer for a in counted])
    return ValidationResult(
        submission_id,
        decision,
        tuple(counted),
        tuple(sorted(ignored, key=lambda i: i.answer.answer_id)),
    )


def tally(
    answers: Iterable[ValidationAnswer],
    fooled: Iterable[int],
    validators: Iterable[str],
    writer_of: Mapping[int, str | None] | None = None,
    current: Mapping[int, tuple[str, str]] | None = None,
) -> dict[int, ValidationResult]:
    """Tally the answers on each listed fooled sentence (see the module's rules). Every listed
    sentence gets a result (undecided without answers); answers on others are left out.
    ``current``: each sentence's (text, label) now; an answer shown another is not counted."""
    writer_of = writer_of or {}
    current = current or {}
    listed = list(dict.fromkeys(fooled))
    by_submission: dict[int, list[ValidationAnswer]] = {sid: [] for sid in listed}
    for answer in answers:
        if answer.submission_id in by_submission:
            by_submission[answer.submission_id].append(answer)
    roster = {email(v) for v in validators}
    return {
        sid: _tally_one(
            sid, by_submission[sid], roster, email(writer_of.get(sid)), current.get(sid)
        )
        for sid in listed
    }


def verified_by_validation(results: Iterable[ValidationResult]) -> dict[int, bool]:
    """``{submission id: True (validated right) / False (validated wrong)}``; undecided
    sentences are left out. What vMER and the verified-only fooled bonus read."""
    return {r.submission_id: r.verified for r in results if r.verified is not None}
