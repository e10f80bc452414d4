"""Lexical overlap of evaluation sets with reference corpora (the APEACH paper's TF-IDF check).

For each (evaluation set, reference corpus) pair, TF-IDF is fitted on the reference and three
measures are computed on two views of the text, ``word`` (whitespace tokens) and ``char``
(character 2-4-grams within words, each word padded with spaces, as scikit-learn's ``char_wb``):

* ``centroid_cosine``: cosine between the mean TF-IDF vector of the evaluation set and that of
  the reference (it grows with the size of the evaluation set: compare sets of similar size);
* ``mean_max_similarity``: each evaluation sentence's cosine with its best match in the
  reference, averaged over the evaluation set (1.0 when every sentence is in the reference);
* ``coverage``: share of the evaluation set's token occurrences seen at least once in the reference.

Terms the reference never contains keep their (high) IDF instead of being dropped, so the
vocabulary an evaluation set does not share with the reference lowers its similarity.

References are streamed twice (document frequencies, then centroid and best matches) in
blocks of sentences, each block in chunks, over hashed features: memory depends on the block
and chunk sizes, the number of features and the evaluation sets, never on the length of the
reference. An :class:`Engine` runs the blocks: one after the other in this process
(:class:`InProcess`), or on a Dask cluster (:mod:`apeach_ls.overlap_dask`); blocks are combined
in reading order, so both give the same bytes.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from scipy import sparse
from sklearn.preprocessing import normalize

from .errors import DataFileError

TEXT_COLUMNS = ("text", "comments")
VIEWS = ("word", "char")
N_FEATURES = 2**20
DEFAULT_CHUNK_SIZE = 1_000
DEFAULT_BLOCK_SIZE = 20_000

Progress = Callable[[int], None]
"""Called with the number of reference sentences just read (each reference is read twice)."""


@dataclass(frozen=True)
class Corpus:
    name: str
    path: Path


@dataclass(frozen=True)
class Measures:
    centroid_cosine: float
    mean_max_similarity: float
    coverage: float


@dataclass(frozen=True)
class Overlap:
    evaluation: str
    reference: str
    eval_sentences: int
    reference_sentences: int
    word: Measures
    char: Measures

    def as_row(self) -> dict[str, object]:
        row: dict[str, object] = {
            "evaluation": self.evaluation,
            "reference": self.reference,
            "eval_sentences": self.eval_sentences,
            "reference_sentences": self.reference_sentences,
        }
        for view in VIEWS:
            row.update(
                {f"{view}_{name}": value for name, value in asdict(getattr(self, view)).items()}
            )
        return row


def read_sentences(path: Path) -> Iterator[str]:
    """The non-blank sentences of a text file (one a line) or of a CSV/TSV's text column."""
    empty = True
    for sentence in _raw_sentences(Path(path)):
        empty = False
        yield sentence
    if empty:
        raise DataFileError(str(path), "no sentences: the file is empty")


def _raw_sentences(path: Path) -> Iterator[str]:
    if not path.exists():
        raise DataFileError(str(path), "file not found")
    if not path.is_file():
        raise DataFileError(
            str(path), "not a regular file (a directory or a device); give a text, CSV or TSV file"
        )
    delimiter = {".csv": ",", ".tsv": "\t"}.get(path.suffix.lower())
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            if delimiter is None:
                yield from (line.strip() for line in handle if line.strip())
                return
            reader = csv.reader(handle, delimiter=delimiter)
            column = _text_column(path, next(reader, None))
            try:
                yield from (
                    row[column].strip()
                    for row in reader
                    if column < len(row) and row[column].strip()
                )
            except csv.Error as exc:
                raise DataFileError(
                    str(path), f"malformed {path.suffix[1:].upper()}: {exc}", row=reader.line_num
                ) from None
    except UnicodeDecodeError:
        raise DataFileError(str(path), "not UTF-8 text") from None


def _text_column(path: Path, header: list[str] | None) -> int:
    if header is None:
        raise DataFileError(str(path), "no sentences: the file is empty")
    names = [name.strip().lower() for name in header]
    for wanted in TEXT_COLUMNS:
        if wanted in names:
            return names.index(wanted)
    raise DataFileError(
        str(path),
        f"no text column: expected 'text' or 'comments' in the header, "
        f"found {', '.join(map(repr, header))}",
        row=1,
    )


def count_features(
    sentences: list[str], n_features: int = N_FEATURES
) -> dict[str, sparse.csr_matrix]:
    """Raw counts of hashed words and character n-grams, one row per sentence, for each view.

    Vectorised over the whole chunk (polynomial hashes of substrings from prefix sums of the
    code points): scikit-learn's per-string analyzers are what make millions of lines slow.
    """
    lines = [f" {' '.join(words)} " if (words := s.lower().split()) else "" for s in sentences]
    codes = np.frombuffer("".join(lines).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    line_of = np.repeat(np.arange(len(lines)), [len(line) for line in lines])
    powers, inverse_powers = (
        np.concatenate([[np.uint64(1)], np.cumprod(np.full(len(codes), base))])
        for base in (_PRIME, _PRIME_INVERSE)
    )  # all arithmetic wraps mod 2**64
    prefix = np.concatenate([[np.uint64(0)], np.cumsum(codes * powers[:-1])])

    def hashes(start: np.ndarray, end: np.ndarray) -> np.ndarray:  # of codes[start:end]
        return _mix(
            (prefix[end] - prefix[start]) * inverse_powers[start] + (end - start).astype(np.uint64)
        )

    space = codes == ord(" ")
    word_start = np.flatnonzero(~space & np.concatenate([[True], space[:-1]]))
    word_end = np.flatnonzero(~space & np.concatenate([space[1:], [True]])) + 1
    rows, columns = [line_of[word_start]], [hashes(word_start, word_end)]
    counts = {"word": _counts(rows, columns, len(lines), n_features)}
    spaces_before = np.concatenate([[0], np.cumsum(space)])
    rows, columns = [], []
    for n in (2, 3, 4):
        start = np.arange(max(len(codes) - n + 1, 0))
        keep = (line_of[start] == line_of[start + n - 1]) & (  # one line, no space inside
            spaces_before[start + n - 1] == spaces_before[start + 1]
        )
        rows.append(line_of[start[keep]])
        columns.append(hashes(start[keep], start[keep] + n))
    counts["char"] = _counts(rows, columns, len(lines), n_features)
    return counts


_PRIME = np.uint64(1_000_003)
_PRIME_INVERSE = np.uint64(pow(1_000_003, -1, 2**64))


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, so that the low bits used as the feature index are well spread."""
    h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def _counts(
    rows: list[np.ndarray], hashes: list[np.ndarray], n_rows: int, n_features: int
) -> sparse.csr_matrix:
    columns = (np.concatenate(hashes) % np.uint64(n_features)).astype(np.int64)
    counts = sparse.csr_matrix(
        (np.ones(len(columns)), (np.concatenate(rows), columns)), shape=(n_rows, n_features)
    )
    counts.sum_duplicates()
    return counts


def chunked(sentences: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(sentences)
    while chunk := list(islice(iterator, size)):
        yield chunk


def tfidf(counts: sparse.csr_matrix, idf: np.ndarray) -> sparse.csr_matrix:
    """L2-normalised TF-IDF rows: raw counts times IDF, as scikit-learn's defaults."""
    weighted = counts.copy()
    weighted.data *= idf[weighted.indices]
    return normalize(weighted, norm="l2", copy=False)


def smooth_idf(document_frequency: np.ndarray, documents: int) -> np.ndarray:
    return np.log((1 + documents) / (1 + document_frequency)) + 1


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    norms = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b) / norms if norms else 0.0


class Engine(Protocol):
    """Runs a block function over the reference's blocks and yields the results in block order."""

    def map_blocks(
        self, function: Callable[..., BlockResult], blocks: Iterable[list[str]], **shared: Any
    ) -> Iterator[BlockResult]: ...


class InProcess:
    """The single-process path: blocks one after the other, in this process."""

    def map_blocks(
        self, function: Callable[..., BlockResult], blocks: Iterable[list[str]], **shared: Any
    ) -> Iterator[BlockResult]:
        return (function(block, **shared) for block in blocks)


@dataclass(frozen=True)
class BlockResult:
    """What one block of the reference adds: sentences read, and per view the features it
    touches with their values (document frequencies or TF-IDF sums), or best cosines."""

    sentences: int
    features: dict[str, tuple[np.ndarray, np.ndarray]]
    best: dict[str, np.ndarray] | None = None


def measure_overlap(
    evaluations: Sequence[Corpus],
    references: Sequence[Corpus],
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    n_features: int = N_FEATURES,
    progress: Progress | None = None,
    engine: Engine | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
) -> list[Overlap]:
    """Every evaluation set against every reference: one result per pair, references outer.

    The reference is read in blocks of ``block_size`` sentences, which ``engine`` may run
    anywhere (in this process by default); blocks are combined in reading order, so the
    results depend on ``block_size`` (float sums), never on the engine or its workers."""
    engine = engine or InProcess()
    texts = {corpus.name: list(read_sentences(corpus.path)) for corpus in evaluations}
    for reference in references:  # fail on a bad reference before the long work starts
        next(read_sentences(reference.path))
    bounds = np.cumsum([0] + [len(sentences) for sentences in texts.values()]).tolist()
    spans = {name: slice(bounds[i], bounds[i + 1]) for i, name in enumerate(texts)}
    eval_counts = count_features([s for sentences in texts.values() for s in sentences], n_features)
    results = []
    for reference in references:
        n_reference, document_frequency = _document_frequencies(
            engine, reference.path, n_features, chunk_size, block_size, progress
        )
        idf = {view: smooth_idf(df, n_reference) for view, df in document_frequency.items()}
        eval_vectors = {view: tfidf(eval_counts[view], idf[view]) for view in VIEWS}
        centroid, best = _centroid_and_best_matches(
            engine, reference.path, eval_vectors, idf, chunk_size, block_size, progress
        )
        for name, span in spans.items():
            measures = {
                view: Measures(
                    centroid_cosine=cosine(
                        np.asarray(eval_vectors[view][span].mean(axis=0)).ravel(), centroid[view]
                    ),
                    mean_max_similarity=float(best[view][span].mean()),
                    coverage=_coverage(eval_counts[view][span], document_frequency[view] > 0),
                )
                for view in VIEWS
            }
            results.append(
                Overlap(name, reference.name, span.stop - span.start, n_reference, **measures)
            )
    return results


def _touched(totals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    indices = np.flatnonzero(totals)
    return indices, totals[indices]


def block_document_frequencies(block: list[str], n_features: int, chunk_size: int) -> BlockResult:
    """How many sentences of ``block`` hold each feature (the features it touches)."""
    frequency = {view: np.zeros(n_features, dtype=np.int64) for view in VIEWS}
    for chunk in chunked(block, chunk_size):
        for view, counts in count_features(chunk, n_features).items():
            np.add.at(frequency[view], counts.indices, 1)
    return BlockResult(len(block), {view: _touched(f) for view, f in frequency.items()})


def block_centroid_and_best_matches(
    block: list[str],
    eval_transposed: dict[str, sparse.csr_matrix],
    idf: dict[str, np.ndarray],
    chunk_size: int,
) -> BlockResult:
    """The sum of the block's TF-IDF vectors, and each evaluation sentence's best cosine in it."""
    n_features, n_eval = eval_transposed["word"].shape
    totals = {view: np.zeros(n_features) for view in VIEWS}
    best = {view: np.zeros(n_eval) for view in VIEWS}
    for chunk in chunked(block, chunk_size):
        for view, counts in count_features(chunk, n_features).items():
            vectors = tfidf(counts, idf[view])
            np.add.at(totals[view], vectors.indices, vectors.data)
            # chunk x evaluation sentences, kept sparse: cosines are >= 0, so the implicit
            # zeros never beat ``best`` (a dense copy cost more than the product itself)
            similarity = vectors @ eval_transposed[view]
            np.maximum.at(best[view], similarity.indices, similarity.data)
    return BlockResult(len(block), {view: _touched(t) for view, t in totals.items()}, best)


def _document_frequencies(
    engine: Engine,
    path: Path,
    n_features: int,
    chunk_size: int,
    block_size: int,
    progress: Progress | None,
) -> tuple[int, dict[str, np.ndarray]]:
    document_frequency = {view: np.zeros(n_features, dtype=np.int64) for view in VIEWS}
    n_reference = 0
    for result in engine.map_blocks(
        block_document_frequencies,
        chunked(read_sentences(path), block_size),
        n_features=n_features,
        chunk_size=chunk_size,
    ):
        for view, (indices, values) in result.features.items():
            document_frequency[view][indices] += values
        n_reference += result.sentences
        if progress:
            progress(result.sentences)
    return n_reference, document_frequency


def _centroid_and_best_matches(
    engine: Engine,
    path: Path,
    eval_vectors: dict[str, sparse.csr_matrix],
    idf: dict[str, np.ndarray],
    chunk_size: int,
    block_size: int,
    progress: Progress | None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The sum of the reference's TF-IDF vectors and each evaluation sentence's best cosine."""
    n_eval, n_features = eval_vectors["word"].shape
    centroid = {view: np.zeros(n_features) for view in VIEWS}
    best = {view: np.zeros(n_eval) for view in VIEWS}
    for result in engine.map_blocks(
        block_centroid_and_best_matches,
        chunked(read_sentences(path), block_size),
        eval_transposed={view: vectors.T.tocsr() for view, vectors in eval_vectors.items()},
        idf=idf,
        chunk_size=chunk_size,
    ):
        for view, (indices, values) in result.features.items():
            centroid[view][indices] += values  # block by block, in reading order
            np.maximum(best[view], result.best[view], out=best[view])  # type: ignore[index]
        if progress:
            progress(result.sentences)
    return centroid, best


def _coverage(counts: sparse.csr_matrix, seen: np.ndarray) -> float:
    total = counts.sum()
    return float((counts @ seen.astype(np.float64)).sum() / total) if total else 0.0
