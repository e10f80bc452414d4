"""The tally: from the managers' votes to accepted / dropped / pending per submission.

Managers vote only to drop critical sentences; the crowd's work is kept unless the rule
says otherwise. Pure logic, no I/O. Rules, applied to each submission's votes in order:

1. **Only the campaign's managers count.** A vote whose e-mail is not in ``managers`` is
   ignored (``not_a_manager``). E-mails are compared case-insensitively, spaces stripped.
2. **Only votes the voter cast themselves count.** Label Studio sets an annotation's
   voter (``completed_by``) from the request but lets any account name someone else,
   and lets any account change anyone's annotation; it records who created or last
   changed it (``updated_by``, given here as ``cast_by``). A vote whose ``cast_by`` is
   not the voter (compared as e-mails), or is unknown, is ignored
   (``changed_by_other``); it neither counts nor replaces that manager's other vote.
3. **Only a manager's votes in their own project count.** Each manager votes in a vote
   project of their own (``project_manager``), so that no one's ballot shows another's
   vote. A vote cast in another manager's project is ignored (``not_own_project``).
4. **No vote on one's own sentence.** When ``writer_of[submission]`` is the voter's e-mail
   (a manager who also wrote), the vote is ignored (``own_sentence``).
4b. **A vote is about the sentence it was shown.** A writer may rewrite their sentence
   (text, intent or label) after the vote task was made. When ``current[submission]`` is
   given and the vote's ``shown`` sentence is not it (``ShownSentence.still``), the vote
   is ignored (``sentence_changed``): it neither counts nor replaces that manager's vote on
   the new version, so a rewritten sentence stays pending until managers vote on it.
5. **Cancelled votes do not count.** A skipped or withdrawn annotation (``cancelled``) is
   ignored (``cancelled``); it neither counts nor replaces that manager's other vote.
   A deleted annotation is simply absent from the input.
6. **One vote per manager.** Of a manager's remaining votes on a submission, the most
   recently updated wins (``updated_at``, then the higher ``vote_id``); the others are
   ``superseded``. An edit changes the vote, not the manager's place in line.
7. **The first k managers decide.** Managers are ordered by their first remaining vote
   (lowest ``vote_id``: Label Studio ids grow with creation); the first ``k`` ballots are
   counted, later ones are ignored (``beyond_k``). So once k valid votes are in, a
   decided outcome cannot be overturned by extra votes (the writer may already be paid),
   and ties can only happen when k is even.
8. **Outcome.**
   * ``majority``: pending while fewer than k ballots are counted; then dropped when more
     than half of the k ballots drop, else accepted. **A tie keeps the sentence.**
   * ``any_drop``: dropped as soon as one counted ballot drops (even before k); accepted
     only with k counted keeps; pending otherwise.
9. **Reasons of a dropped sentence:** the reasons named by more than half of the counted
   drop votes; if none is, the most frequent ones (all of them when tied). The same for
   both rules. Every outcome also reports ``reason_counts`` over the counted drop votes.

Votes on submissions not listed in ``submissions`` are not tallied. Every listed
submission gets a result, pending when it has no votes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Final

from .. import answers
from ..answers import Refusal, email, refusal
from .model import (
    ACCEPTED,
    ANY_DROP,
    BEYOND_K,
    CANCELLED,
    CHANGED_BY_OTHER,
    DEFAULT_K,
    DROP,
    DROPPED,
    KEEP,
    MAJORITY,
    NOT_A_MANAGER,
    NOT_OWN_PROJECT,
    OWN_SENTENCE,
    PENDING,
    REASONS,
    RULES,
    SENTENCE_CHANGED,
    SUPERSEDED,
    Ignored,
    IgnoredVote,
    ManagerVote,
    Outcome,
    Reason,
    Rule,
    ShownSentence,
    TallyResult,
)

# why a vote does not count, in the tally's words (the shared rule says "not listed")
_NOT_COUNTED: Final[Mapping[Refusal, Ignored]] = {
    answers.NOT_LISTED: NOT_A_MANAGER,
    answers.CHANGED_BY_OTHER: CHANGED_BY_OTHER,
    answers.NOT_OWN_PROJECT: NOT_OWN_PROJECT,
    answers.OWN_SENTENCE: OWN_SENTENCE,
}


def _updated(vote: ManagerVote) -> datetime:
    try:
        when = datetime.fromisoformat(vote.updated_at.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"vote {vote.vote_id}: updated_at {vote.updated_at!r} is not an ISO 8601 time"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _outcome(keeps: int, drops: int, k: int, rule: Rule) -> Outcome:
    if rule == ANY_DROP:
        if drops:
            return DROPPED
        return ACCEPTED if keeps >= k else PENDING
    if keeps + drops < k:
        return PENDING
    return DROPPED if 2 * drops > keeps + drops else ACCEPTED


def drop_reasons(drop_votes: Iterable[ManagerVote]) -> tuple[frozenset[Reason], dict[Reason, int]]:
    """The reasons of the majority of drop votes (else the most frequent) and all counts."""
    drop_votes = list(drop_votes)
    counts = Counter(r for vote in drop_votes for r in vote.reasons)
    ordered = {r: counts[r] for r in REASONS if counts[r]}
    majority = frozenset(r for r, n in ordered.items() if 2 * n > len(drop_votes))
    if majority or not ordered:
        return majority, ordered
    top = max(ordered.values())
    return frozenset(r for r, n in ordered.items() if n == top), ordered


def _tally_one(
    submission_id: int,
    votes: list[ManagerVote],
    managers: set[str],
    writer: str,
    k: int,
    rule: Rule,
    current: ShownSentence | None = None,
) -> TallyResult:
    ignored: list[IgnoredVote] = []
    by_manager: dict[str, list[ManagerVote]] = defaultdict(list)
    for vote in sorted(votes, key=lambda v: v.vote_id):
        voter = email(vote.manager)
        why = refusal(vote.manager, vote.cast_by, vote.project_manager, managers, writer)
        if why is not None:
            ignored.append(IgnoredVote(vote, _NOT_COUNTED[why]))
        elif current is not None and (vote.shown is None or not vote.shown.still(current)):
            ignored.append(IgnoredVote(vote, SENTENCE_CHANGED))
        elif vote.cancelled:
            ignored.append(IgnoredVote(vote, CANCELLED))
        else:
            by_manager[voter].append(vote)
    ballots: list[tuple[int, ManagerVote]] = []
    for own in by_manager.values():
        latest = max(own, key=lambda v: (_updated(v), v.vote_id))
        ignored.extend(IgnoredVote(v, SUPERSEDED) for v in own if v is not latest)
        ballots.append((min(v.vote_id for v in own), latest))
    ballots.sort(key=lambda b: b[0])
    counted = tuple(vote for _, vote in ballots[:k])
    ignored.extend(IgnoredVote(vote, BEYOND_K) for _, vote in ballots[k:])
    keeps = sum(1 for v in counted if v.decision == KEEP)
    drops = sum(1 for v in counted if v.decision == DROP)
    outcome = _outcome(keeps, drops, k, rule)
    reasons, counts = drop_reasons(v for v in counted if v.decision == DROP)
    return TallyResult(
        submission_id=submission_id,
        outcome=outcome,
        reasons=reasons if outcome == DROPPED else frozenset(),
        keeps=keeps,
        drops=drops,
        reason_counts=counts,
        counted=counted,
        ignored=tuple(sorted(ignored, key=lambda i: i.vote.vote_id)),
        sentence_version=current.version if current is not None else None,
    )


def tally(
    votes: Iterable[ManagerVote],
    submissions: Iterable[int],
    managers: set[str],
    writer_of: Mapping[int, str | None] | None = None,
    k: int = DEFAULT_K,
    rule: Rule = MAJORITY,
    current: Mapping[int, ShownSentence] | None = None,
) -> dict[int, TallyResult]:
    """Tally the managers' votes of each listed submission (see the module's rules).
    ``current``: each sentence's version now; a vote shown another one is not counted."""
    if k < 1:
        raise ValueError(f"k (managers per sentence) must be at least 1, not {k}")
    if rule not in RULES:
        raise ValueError(f"unknown vote rule {rule!r}; expected one of {', '.join(RULES)}")
    writer_of = writer_of or {}
    current = current or {}
    listed = list(dict.fromkeys(submissions))
    by_submission: dict[int, list[ManagerVote]] = {sid: [] for sid in listed}
    for vote in votes:
        if vote.submission_id in by_submission:
            by_submission[vote.submission_id].append(vote)
    roster = {email(m) for m in managers}
    return {
        sid: _tally_one(
            sid, by_submission[sid], roster, email(writer_of.get(sid)), k, rule, current.get(sid)
        )
        for sid in listed
    }
