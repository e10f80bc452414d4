"""Text normalization and character shingles shared by the duplicate and copy-paste aids.

Two texts that differ only in spacing, punctuation, emoji, letter case or full-width forms
normalize to the same string, so a writer cannot hide a copy by adding a few spaces.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from itertools import chain

SHINGLE_SIZE = 3  # characters per shingle; Hangul syllables are dense, so 3 is selective

_NOT_WORD = re.compile(r"[\W_]+")


def normalize(text: str) -> str:
    """NFKC, lowercase, and drop everything that is not a letter or a digit."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).lower())


def shingles(normalized: str, size: int = SHINGLE_SIZE) -> frozenset[str]:
    """The set of ``size``-character substrings; a shorter non-empty text is its own shingle."""
    if len(normalized) <= size:
        return frozenset((normalized,)) if normalized else frozenset()
    return frozenset([normalized[i : i + size] for i in range(len(normalized) - size + 1)])


def min_overlap(size: int, threshold: float) -> int:
    """The fewest shared shingles that reach ``threshold`` of ``size`` (at least 1)."""
    return max(1, math.ceil(threshold * size - 1e-9))


def shingle_counts(shingle_sets: Iterable[frozenset[str]]) -> Counter[str]:
    """In how many sets each shingle occurs: rarer shingles are more selective."""
    return Counter(chain.from_iterable(shingle_sets))


def prefix(shingle_set: frozenset[str], counts: Counter[str], threshold: float) -> list[str]:
    """The rarest shingles of a set, of which any match reaching ``threshold`` must share one.

    If at least ``min_overlap`` of the set's shingles occur in another text, one of its
    ``len - min_overlap + 1`` rarest does (prefix filtering, as in All-Pairs / PPJoin). The
    order (count, then text) is the same for every set, which the Jaccard search relies on.
    """
    length = len(shingle_set) - min_overlap(len(shingle_set), threshold) + 1
    return sorted(sorted(shingle_set), key=counts.__getitem__)[:length]  # stable: ties by text
