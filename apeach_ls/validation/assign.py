"""Who validates which fooled sentence. Pure logic, no I/O.

Each validator answers in a validation project of their own; a sentence is added to a
validator's project only when more answers are needed, so validation stops where the rule
(``tally.decide``) says: two validators first, then one more at a time (never beyond
``MAX_ANSWERS`` answers). A validator never gets a sentence they wrote. A validator who was
given a sentence and has not answered yet counts as an answer on its way; one who skipped
it, or whose answer did not count, has had their turn.

New work goes to the eligible validators with the fewest sentences, in the config's order
on ties, so a re-run with nothing new assigns nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .model import MAX_ANSWERS, ValidationResult
from .tally import decide


def _email(address: str | None) -> str:
    return (address or "").strip().lower()


def plan_assignments(
    fooled: Mapping[int, str | None],
    validators: Sequence[str],
    assigned: Mapping[str, set[int]],
    results: Mapping[int, ValidationResult],
) -> dict[str, list[int]]:
    """The sentences to add to each validator's project now.

    ``fooled``: each fooled sentence's writer (e-mail, None when unknown);
    ``assigned``: the sentences each validator's project already holds;
    ``results``: the latest tally (a sentence without one has no answers yet)."""
    roster = list(dict.fromkeys(_email(v) for v in validators))
    holds = {v: set(assigned.get(v, set())) for v in roster}
    load = {v: len(holds[v]) for v in roster}
    plan: dict[str, list[int]] = {v: [] for v in roster}
    for sid in sorted(fooled):
        result = results.get(sid)
        decision = result.decision if result is not None else decide([])
        if decision.verified is not None:
            continue
        have = {v for v in roster if sid in holds[v]}
        answered = set()
        if result is not None:
            answered = {_email(a.validator) for a in result.counted}
            answered |= {_email(i.answer.validator) for i in result.ignored}
        waiting = have - answered
        counted = len(result.counted) if result is not None else 0
        wanted = min(decision.needs_more, MAX_ANSWERS - counted) - len(waiting)
        writer = _email(fooled[sid])
        eligible = [v for v in roster if v not in have and v != writer]
        for v in sorted(eligible, key=lambda v: (load[v], roster.index(v)))[: max(wanted, 0)]:
            plan[v].append(sid)
            holds[v].add(sid)
            load[v] += 1
    return {v: sids for v, sids in plan.items() if sids}
