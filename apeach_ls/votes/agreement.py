"""How much the managers agree: Fleiss' kappa and Krippendorff's alpha (nominal).

Both are computed on the keep/drop decision and, per drop reason, on a binary rating
(did this vote name the reason?). A keep vote names no reason, so it rates "not named".
Feed the votes the tally counted (``[r.counted for r in tally(...).values()]``).

* **Fleiss' kappa** needs the same number of ratings on every item. Items with fewer or
  more ratings (pending sentences, extra votes) are left out: only items with the *modal*
  number of ratings (the larger one when tied) are used, and the note says how many were
  left out. Items with fewer than two ratings never count.
* **Krippendorff's alpha** handles missing ratings: every item with at least two ratings
  counts (a single rating cannot be paired).
* **Undefined cases return ``value=None`` with a note**, never a ZeroDivisionError: no
  usable item, or every rating in one category (no variation: chance agreement is 1, and
  both coefficients are 0/0).

Plain Python; no I/O.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import permutations

from .model import DECISIONS, DROP, KEEP, REASONS, ManagerVote, Reason


@dataclass(frozen=True)
class Coefficient:
    value: float | None  # None when undefined; the note says why
    items: int  # items that entered the computation
    note: str = ""  # why the value is undefined, or which items were left out


@dataclass(frozen=True)
class AgreementScores:
    fleiss_kappa: Coefficient
    krippendorff_alpha: Coefficient


@dataclass(frozen=True)
class ManagerAgreement:
    decision: AgreementScores  # keep vs drop
    reasons: Mapping[Reason, AgreementScores]  # per reason: named vs not named


def fleiss_kappa(counts: Sequence[Sequence[int]]) -> Coefficient:
    """Fleiss' kappa from an items x categories table of rating counts (equal row sums)."""
    rows = [list(row) for row in counts]
    if not rows:
        return Coefficient(None, 0, "no items to compare")
    raters = sum(rows[0])
    if any(sum(row) != raters for row in rows):
        raise ValueError("Fleiss' kappa needs the same number of ratings on every item")
    if raters < 2:
        return Coefficient(None, len(rows), "fewer than two ratings per item")
    items, total = len(rows), len(rows) * raters
    observed = (
        sum((sum(n * n for n in row) - raters) / (raters * (raters - 1)) for row in rows) / items
    )
    shares = [sum(row[j] for row in rows) / total for j in range(len(rows[0]))]
    chance = sum(p * p for p in shares)
    if chance >= 1.0 - 1e-12:
        return Coefficient(None, items, "every rating is in one category; kappa is undefined")
    return Coefficient((observed - chance) / (1.0 - chance), items)


def krippendorff_alpha(units: Iterable[Sequence[Hashable]]) -> Coefficient:
    """Krippendorff's alpha (nominal) from each unit's ratings; missing ratings are just absent."""
    pairable = [list(unit) for unit in units if len(unit) >= 2]
    if not pairable:
        return Coefficient(None, 0, "no item has two ratings")
    coincidences: dict[tuple[Hashable, Hashable], float] = defaultdict(float)
    for unit in pairable:
        for a, b in permutations(unit, 2):
            coincidences[(a, b)] += 1.0 / (len(unit) - 1)
    marginals: dict[Hashable, float] = defaultdict(float)
    for (a, _), weight in coincidences.items():
        marginals[a] += weight
    n = sum(marginals.values())
    disagree = sum(w for (a, b), w in coincidences.items() if a != b)
    expected = sum(marginals[a] * marginals[b] for a in marginals for b in marginals if a != b)
    if expected == 0:
        return Coefficient(
            None, len(pairable), "every rating is in one category; alpha is undefined"
        )
    return Coefficient(1.0 - (n - 1) * disagree / expected, len(pairable))


def count_table(
    units: Sequence[Sequence[Hashable]], categories: Sequence[Hashable]
) -> list[list[int]]:
    """Rows of rating counts per category, in the order of ``categories``."""
    index = {c: j for j, c in enumerate(categories)}
    table = []
    for unit in units:
        row = [0] * len(categories)
        for rating in unit:
            row[index[rating]] += 1
        table.append(row)
    return table


def scores(units: Iterable[Sequence[Hashable]], categories: Sequence[Hashable]) -> AgreementScores:
    """Kappa on the items with the modal number of ratings; alpha on all pairable items."""
    units = [list(u) for u in units]
    sizes = Counter(len(u) for u in units if len(u) >= 2)
    if not sizes:
        kappa = Coefficient(None, 0, "no item has two ratings")
    else:
        modal = max(sizes, key=lambda size: (sizes[size], size))
        kappa = fleiss_kappa(count_table([u for u in units if len(u) == modal], categories))
        left_out = len(units) - sizes[modal]
        if left_out:
            kept = f"used the {sizes[modal]} items with {modal} ratings; left out {left_out} other items"
            kappa = Coefficient(
                kappa.value, kappa.items, "; ".join(filter(None, [kappa.note, kept]))
            )
    return AgreementScores(kappa, krippendorff_alpha(units))


def counted_agreement(counted_per_item: Iterable[Sequence[ManagerVote]]) -> ManagerAgreement:
    """:func:`manager_agreement` over the submissions that at least two counted votes decided."""
    return manager_agreement([votes for votes in counted_per_item if len(votes) >= 2])


def manager_agreement(votes_per_item: Iterable[Sequence[ManagerVote]]) -> ManagerAgreement:
    """Agreement on keep/drop and on each drop reason, from the votes on each submission."""
    items = [list(votes) for votes in votes_per_item]
    decision = scores([[v.decision for v in votes] for votes in items], DECISIONS)
    per_reason = {
        reason: scores(
            [[v.decision == DROP and reason in v.reasons for v in votes] for votes in items],
            (False, True),
        )
        for reason in REASONS
    }
    return ManagerAgreement(decision, per_reason)


def decision_agreement(keeps_and_drops: Iterable[tuple[int, int]]) -> ManagerAgreement:
    """Agreement on keep/drop from each submission's counted (keeps, drops), as a stored
    tally keeps them: the same keep/drop scores :func:`counted_agreement` gives on the votes
    themselves. The per-reason scores need each vote's reasons, which a count does not keep,
    so ``reasons`` is empty (:func:`tally_agreement` has them)."""
    units = [[KEEP] * keeps + [DROP] * drops for keeps, drops in keeps_and_drops]
    return ManagerAgreement(scores([u for u in units if len(u) >= 2], DECISIONS), {})


def tally_agreement(
    tallies: Iterable[tuple[int, int, Mapping[str, int] | None]],
) -> ManagerAgreement:
    """Agreement from each submission's counted (keeps, drops, reason counts), as a stored
    tally keeps them: the scores :func:`counted_agreement` gives on the votes themselves, on
    keep/drop and per reason (a vote names a reason or not; a keep names none). Per-reason
    scores need every tally's reason counts: when one has none (None, tallied before they
    were kept) ``reasons`` is empty."""
    items = [(keeps, drops, counts) for keeps, drops, counts in tallies if keeps + drops >= 2]
    decision = decision_agreement((keeps, drops) for keeps, drops, _ in items).decision
    known = [(keeps + drops, counts) for keeps, drops, counts in items if counts is not None]
    if len(known) < len(items):
        return ManagerAgreement(decision, {})
    per_reason = {
        reason: scores(
            [
                [True] * counts.get(reason, 0) + [False] * (n - counts.get(reason, 0))
                for n, counts in known
            ],
            (False, True),
        )
        for reason in REASONS
    }
    return ManagerAgreement(decision, per_reason)
