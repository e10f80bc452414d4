"""Near-duplicates inside a campaign: a submission that repeats an earlier one.

Submissions are compared after normalization (see ``shingles.normalize``): equal normalized
texts are duplicates (similarity 1.0); otherwise the Jaccard similarity of their character
bigrams must reach the threshold. Candidates come from an inverted index over each
submission's rarest shingles (prefix filtering), so the search is exact, not sampled, and
10,000 submissions take about a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .shingles import normalize, prefix, shingle_counts, shingles

DUPLICATE_THRESHOLD = 0.8  # Jaccard of character shingles
# Bigrams: one changed character in a 20-character sentence keeps Jaccard above 0.8
# (with trigrams a sentence needs about 30 characters for that).
DUPLICATE_SHINGLE_SIZE = 2


@dataclass(frozen=True)
class NearDuplicate:
    earlier_id: int
    earlier_text: str
    similarity: float  # 1.0 when the normalized texts are equal
    same_writer: bool | None = None  # by the same writer as the later one; None when a writer is unknown


def find_near_duplicates(submissions: Iterable[tuple[int, str]], threshold: float = DUPLICATE_THRESHOLD,
                         shingle_size: int = DUPLICATE_SHINGLE_SIZE) -> dict[int, NearDuplicate]:
    """For each submission (``(id, text)`` in time order) the most similar earlier one.

    Only submissions that have such an earlier one appear in the result. Among equally
    similar earlier submissions the first one wins.
    """
    if not 0 < threshold <= 1:
        raise ValueError("threshold must be in (0, 1]")
    items = list(submissions)
    normalized = [normalize(text) for _, text in items]
    sets = [shingles(norm, shingle_size) for norm in normalized]
    counts = shingle_counts(sets)
    first_with_text: dict[str, int] = {}
    index: dict[str, list[int]] = {}
    found: dict[int, NearDuplicate] = {}
    for position, (submission_id, _) in enumerate(items):
        norm, mine = normalized[position], sets[position]
        if not norm:
            continue
        rarest = prefix(mine, counts, threshold)
        earlier = first_with_text.get(norm)
        if earlier is not None:
            found[submission_id] = _duplicate(items[earlier], 1.0)
        else:
            first_with_text[norm] = position
            best = _best_earlier(mine, rarest, sets, index, threshold)
            if best is not None:
                found[submission_id] = _duplicate(items[best[1]], best[0])
        for shingle in rarest:
            index.setdefault(shingle, []).append(position)
    return found


def _best_earlier(mine: frozenset[str], rarest: list[str], sets: list[frozenset[str]],
                  index: dict[str, list[int]], threshold: float) -> tuple[float, int] | None:
    candidates: set[int] = set()
    for shingle in rarest:
        candidates.update(index.get(shingle, ()))
    best: tuple[float, int] | None = None
    size = len(mine)
    for position in sorted(candidates):
        other = sets[position]
        if not threshold * size <= len(other) <= size / threshold:
            continue
        shared = len(mine & other)
        similarity = shared / (size + len(other) - shared)
        if similarity >= threshold and (best is None or similarity > best[0]):
            best = (similarity, position)
    return best


def _duplicate(item: tuple[int, str], similarity: float) -> NearDuplicate:
    return NearDuplicate(earlier_id=item[0], earlier_text=item[1], similarity=round(similarity, 4))
