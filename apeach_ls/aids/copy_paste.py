"""Likely copy-paste: a submission that (almost) occurs in a reference corpus.

A reference corpus is a UTF-8 text file, one text per line (e.g. crawled comments). Corpora
can hold millions of lines, so they are streamed once, in chunks, and never held in memory:
the index is built on the (few thousand) submissions instead. Memory is bounded by the
submissions (their trigrams, an index of their rarest ones, one best match each) and the
chunk size, not by the size of the corpus.

The score is containment: the share of a submission's character trigrams (after
normalization) that occur in one reference line. A submission equal to a line, a line with a
character or two changed, and a fragment cut out of a longer line all score high. Very short
submissions (and ones like "ㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋ" with few distinct trigrams) are not checked: they
would occur in some line of any large corpus by chance.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice

from ..errors import DataFileError
from .copy_index import SubmissionIndex
from .shingles import normalize, shingles

COPY_THRESHOLD = 0.7  # containment of the submission's trigrams in one reference line
MIN_COPY_SHINGLES = 8  # distinct trigrams (about 10 characters); fewer are not checked
CHUNK_LINES = (
    20_000  # reference lines read at a time; working memory grows with it (and line length)
)
MAX_KEPT_CHARS = 1000  # a matched reference line is kept up to this many characters


@dataclass(frozen=True)
class CopyMatch:
    similarity: float  # containment of the submission in the reference line, in [0, 1]
    jaccard: float  # of the two trigram sets; 1.0 for an exact copy of the whole line
    reference_text: str
    path: str
    line_number: int  # 1-based


def find_copy_matches(
    submissions: Iterable[tuple[int, str]],
    reference_files: Sequence[str | os.PathLike],
    threshold: float = COPY_THRESHOLD,
    min_shingles: int = MIN_COPY_SHINGLES,
    chunk_lines: int = CHUNK_LINES,
) -> dict[int, CopyMatch]:
    """For each submission (``(id, text)``) the best-matching reference line, if one reaches
    ``threshold``: highest containment, then highest Jaccard, then the first line (files in
    the given order). Submissions without a match are not in the result."""
    if not 0 < threshold <= 1:
        raise ValueError("threshold must be in (0, 1]")
    if chunk_lines < 1:
        raise ValueError("chunk_lines must be 1 or more")
    groups: dict[str, list[int]] = {}  # submissions with the same normalized text share a search
    texts: list[str] = []
    for submission_id, text in submissions:
        norm = normalize(text)
        if len(shingles(norm)) >= min_shingles:
            if norm not in groups:
                groups[norm] = []
                texts.append(text)
            groups[norm].append(submission_id)
    if not texts:
        return {}
    index = SubmissionIndex.build(texts, threshold)
    best: dict[int, CopyMatch] = {}
    sizes = index.size.tolist()
    for path in reference_files:
        for first_line, chunk in _chunks(str(path), chunk_lines):
            line_sizes: dict[int, int] = {}
            for position, line, shared in index.matches(chunk):
                current, containment = best.get(position), shared / sizes[position]
                if current is not None and containment < current.similarity:
                    continue
                if line not in line_sizes:
                    line_sizes[line] = len(shingles(normalize(chunk[line])))
                jaccard = shared / (sizes[position] + line_sizes[line] - shared)
                if current is None or (containment, jaccard) > (
                    current.similarity,
                    current.jaccard,
                ):
                    best[position] = CopyMatch(
                        containment,
                        jaccard,
                        chunk[line].strip()[:MAX_KEPT_CHARS],
                        str(path),
                        first_line + line,
                    )
    members = list(groups.values())
    return {
        submission_id: match
        for position, match in best.items()
        for submission_id in members[position]
    }


def _chunks(path: str, chunk_lines: int) -> Iterator[tuple[int, list[str]]]:
    """(number of the first line, lines) of a reference file, ``chunk_lines`` at a time."""
    try:
        with open(
            path, encoding="utf-8", newline="\n"
        ) as handle:  # lines end at "\n" only, as in grep -n
            first_line = 1
            while True:
                try:
                    chunk = list(islice(handle, chunk_lines))
                except UnicodeDecodeError as exc:
                    raise DataFileError(
                        path,
                        f"is not UTF-8 text ({exc.reason}); save the reference "
                        "corpus as UTF-8, one text per line",
                    ) from exc
                if not chunk:
                    return
                yield first_line, chunk
                first_line += len(chunk)
    except FileNotFoundError as exc:
        raise DataFileError(
            path, "reference corpus not found; check the campaign's reference files"
        ) from exc
    except IsADirectoryError as exc:
        raise DataFileError(path, "is a directory; give a text file, one text per line") from exc
