"""The submissions' side of the copy-paste search: their trigrams and an inverted index.

Prefix filtering with a margin: if a submission of ``size`` distinct trigrams shares at least
``needed`` of them with a line, then of its ``size - needed + 1 + margin`` rarest trigrams
(its "probe"), at least ``margin + 1`` occur in the line. Only the probe trigrams are
indexed, and a (line, submission) pair is verified only when the line holds enough of them,
so common trigrams shared by chance cost little. The search is exact: no match is missed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .shingle_codes import Alphabet, expand, normalized_chars
from .shingles import min_overlap

PROBE_MARGIN = 3  # extra probe trigrams; a candidate must hold margin + 1 of them


@dataclass(frozen=True)
class SubmissionIndex:
    """``members[start[i]:start[i] + size[i]]`` are submission i's trigrams (vocabulary ids,
    ascending); ``postings[post_start[v]:post_start[v + 1]]`` the submissions probing id v."""

    alphabet: Alphabet
    vocabulary: np.ndarray  # sorted trigram codes
    start: np.ndarray
    size: np.ndarray
    members: np.ndarray
    needed: np.ndarray  # shared trigrams that reach the threshold
    probe_hits: np.ndarray  # probe trigrams a line must hold to be verified
    post_start: np.ndarray
    postings: np.ndarray

    @classmethod
    def build(
        cls, texts: list[str], threshold: float, margin: int = PROBE_MARGIN
    ) -> SubmissionIndex:
        chars = normalized_chars(texts)
        alphabet = Alphabet(chars)
        owner, codes = alphabet.trigrams(chars)
        order = np.lexsort((codes, owner))
        owner, codes = owner[order], codes[order]
        first = np.ones(len(codes), dtype=bool)
        first[1:] = (owner[1:] != owner[:-1]) | (codes[1:] != codes[:-1])
        owner, codes = owner[first], codes[first]  # distinct, by submission then code
        vocabulary, members = np.unique(codes, return_inverse=True)
        members = members.astype(np.int64)
        size = np.bincount(owner, minlength=len(texts))
        start = np.cumsum(size) - size
        needed = np.array([min_overlap(int(n), threshold) for n in size], dtype=np.int64)
        probe = np.minimum(size, size - needed + 1 + margin)
        # Rarest first: by how many submissions hold the trigram, then by code.
        counts = np.bincount(members, minlength=len(vocabulary))
        order = np.lexsort((members, counts[members], owner))
        rank = np.arange(len(order)) - start[owner[order]]
        in_probe = rank < probe[owner[order]]
        probe_owner, probe_vocab = owner[order][in_probe], members[order][in_probe]
        by_vocab = np.argsort(probe_vocab, kind="stable")
        post_start = np.concatenate(
            ([0], np.cumsum(np.bincount(probe_vocab, minlength=len(vocabulary))))
        )
        return cls(
            alphabet,
            vocabulary,
            start,
            size,
            members,
            needed,
            needed - (size - probe),
            post_start,
            probe_owner[by_vocab],
        )

    def matches(self, lines: list[str]) -> Iterator[tuple[int, int, int]]:
        """(submission, line index, shared trigrams) of every pair reaching the threshold, by line."""
        slice_lines = 1 << min(self.alphabet.line_bits, 20)
        for first in range(0, len(lines), slice_lines):
            for submission, line, shared in self._slice_matches(lines[first : first + slice_lines]):
                yield submission, first + line, shared

    def _slice_matches(self, lines: list[str]) -> Iterator[tuple[int, int, int]]:
        bits = self.alphabet.line_bits
        line_of, codes = self.alphabet.trigrams(normalized_chars(lines))
        keys = np.unique((codes << bits) | line_of)  # distinct, by code then line
        found = np.searchsorted(self.vocabulary, keys >> bits)
        known = found < len(self.vocabulary)
        known[known] = self.vocabulary[found[known]] == (keys[known] >> bits)
        vocab, line_of = found[known], keys[known] & ((1 << bits) - 1)
        held = (vocab << bits) | line_of  # sorted: vocabulary ids keep the codes' order
        # Candidates: pairs where the line holds enough of the submission's probe trigrams.
        via, at = expand(
            self.post_start[vocab], self.post_start[vocab + 1] - self.post_start[vocab]
        )
        n_sub = len(self.size)
        pairs, hits = np.unique(line_of[via] * n_sub + self.postings[at], return_counts=True)
        line, submission = pairs // n_sub, pairs % n_sub
        enough = hits >= self.probe_hits[submission]
        line, submission = line[enough], submission[enough]
        # Verify: count all of the submission's trigrams that the line holds.
        pair, at = expand(self.start[submission], self.size[submission])
        wanted = (self.members[at] << bits) | line[pair]
        where = np.minimum(np.searchsorted(held, wanted), max(len(held) - 1, 0))
        is_held = held[where] == wanted if len(held) else np.zeros(len(wanted), dtype=bool)
        shared = np.bincount(pair, weights=is_held, minlength=len(line)).astype(np.int64)
        keep = shared >= self.needed[submission]
        return zip(submission[keep].tolist(), line[keep].tolist(), shared[keep].tolist())
