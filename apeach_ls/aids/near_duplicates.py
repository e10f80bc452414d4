"""Near-duplicates inside a campaign: a submission that repeats an earlier one.

A writer who repeats a sentence rarely repeats it byte for byte: the ending changes
("뒤통수를 잘 쳐" / "뒤통수를 잘 친다"), a particle is added or dropped ("난민 받으면" / "난민을 받으면"),
a jamo slips ("못함" / "못핟"), the spacing or the word order changes. Two measures, both
computed on Hangul decomposed into jamo (so a typo costs one jamo, not a whole syllable):

- **letters**: the Jaccard similarity of the jamo trigrams of the two texts without spaces and
  punctuation (spacing, typos, a syllable added);
- **words**: each word of one sentence is matched to its most similar word of the other
  (the same word counts 1, the same stem after particles and endings are cut 0.95; otherwise
  the jamo edit similarity of the two words), weighted by length, in both directions: word order does not
  count, and particles and endings count little.

The similarity is the larger of the two; equal normalized texts score 1.0. Candidates come from
two inverted indexes: over each submission's rarest jamo trigrams (prefix filtering at the
threshold: no pair whose letters reach it is missed) and over the rarest first two letters of
its words (prefix filtering at ``STEM_OVERLAP``: a pair half of whose words start alike shares
one of those). A candidate's words are compared only
when its letters reach ``CANDIDATE_THRESHOLD``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .shingles import normalize, prefix, shingle_counts, shingles

DUPLICATE_THRESHOLD = 0.8  # similarity (letters or words, see above) from which a pair is flagged
DUPLICATE_SHINGLE_SIZE = 3  # jamo per shingle for the letters measure
CANDIDATE_THRESHOLD = 0.3  # letters similarity a pair needs before its words are compared
STEM_OVERLAP = 0.5  # a pair sharing this share of its stems exactly is always compared
# Pairs whose letters differ more than this in number are not compared: at a similarity of 0.8
# the shorter has at least 0.8 (letters) or about 0.67 (words) of the longer's letters.
MIN_SIZE_RATIO = 0.5
MIN_TOKEN_SIMILARITY = 0.5  # a word pair less similar than this counts as no match
MAX_NEAR_SIMILARITY = 0.99  # shown for texts that differ, however little
SAME_STEM = (
    0.95  # two words with the same stem, or one is the other with a particle or ending added
)

# Particles and endings cut from the end of a word to get its stem (longest first).
_SUFFIXES = tuple(
    sorted(
        set(
            """
은 는 이 가 을 를 의 에 에서 에게 한테 께 께서 로 으로 와 과 랑 이랑 하고 도 만 까지 부터 처럼 보다 이나 나
이라도 라도 조차 마저 요 이요 들 들은 들이 들도 들을 들의 들한테 들이랑 들만 에는 에선 에서는 으로는 로는 한텐
다 이다 한다 했다 는다 함 임 음 해 해요 어 아 여 지 지요 죠 냐 니 네 데 던데 는데 잖아 거든 고 며 면 서 래 대
라 자 게 더라 더라고 다고 라고 냐고 니까 으니까 는거 는게 은거 은게 인듯 인거 인데 이야 야 이지 겠지 겠다 습니다
ㅂ니다 입니다 어요 아요 예요 에요 이에요 네요 군요 구나 잖아요 거든요 던데요 는데요 ㅋ ㅋㅋ ㅋㅋㅋ ㅎ ㅎㅎ
""".split()
        ),
        key=len,
        reverse=True,
    )
)
_SUFFIX_SET = frozenset(_SUFFIXES)
_SUFFIX_LENGTHS = sorted({len(s) for s in _SUFFIXES}, reverse=True)
_TOKEN = re.compile(r"[^\W_]+")
_HANGUL_BASE, _HANGUL_LAST = 0xAC00, 0xD7A3


@dataclass(frozen=True)
class NearDuplicate:
    earlier_id: int
    earlier_text: str
    similarity: float  # 1.0 when the normalized texts are equal
    same_writer: bool | None = (
        None  # by the same writer as the later one; None when a writer is unknown
    )
    difference: str = ""  # how the two differ, in Korean (for the manager's hint); empty when equal


@dataclass(frozen=True)
class _Word:
    text: str
    stem: str
    jamo: str
    weight: int


@dataclass(frozen=True)
class _Features:
    normalized: str
    grams: frozenset[str]
    words: tuple[_Word, ...]


def _syllable_jamo(code: int) -> str:
    base = code - _HANGUL_BASE
    return (
        chr(0x1100 + base // 588)
        + chr(0x1161 + base % 588 // 28)
        + (chr(0x11A7 + base % 28) if base % 28 else "")
    )


_JAMO_TABLE = {code: _syllable_jamo(code) for code in range(_HANGUL_BASE, _HANGUL_LAST + 1)}


def jamo(text: str) -> str:
    """Hangul syllables decomposed into their (conjoining) jamo; everything else as is."""
    return text.translate(_JAMO_TABLE)


def stem(word: str) -> str:
    """The word without one trailing particle or ending (at least one character is left)."""
    for length in _SUFFIX_LENGTHS:
        if len(word) > length and word[-length:] in _SUFFIX_SET:
            return word[:-length]
    return word


def features(text: str, shingle_size: int = DUPLICATE_SHINGLE_SIZE) -> _Features:
    normalized = normalize(text)
    words = tuple(
        _Word(w, stem(w), jamo(w), len(w))
        for w in _TOKEN.findall(unicodedata.normalize("NFKC", text).lower())
    )
    return _Features(normalized, shingles(jamo(normalized), shingle_size), words)


def letters_similarity(a: _Features, b: _Features) -> float:
    if not a.grams or not b.grams:
        return 0.0
    shared = len(a.grams & b.grams)
    return shared / (len(a.grams) + len(b.grams) - shared)


def words_similarity(a: _Features, b: _Features) -> float:
    """Length-weighted best matches of the words of each sentence in the other, both ways (0 when
    either has fewer than two words: one word and its stem say too little)."""
    total = sum(w.weight for w in a.words) + sum(w.weight for w in b.words)
    if len(a.words) < 2 or len(b.words) < 2 or not total:
        return 0.0
    matched = sum(w.weight * _best(w, b.words) for w in a.words) + sum(
        w.weight * _best(w, a.words) for w in b.words
    )
    return matched / total


def similarity(a: _Features, b: _Features) -> float:
    """1.0 for equal normalized texts; otherwise the larger measure, at most MAX_NEAR_SIMILARITY."""
    if a.normalized == b.normalized:
        return 1.0
    return min(MAX_NEAR_SIMILARITY, max(letters_similarity(a, b), words_similarity(a, b)))


def describe(a: _Features, b: _Features) -> str:
    """How ``b`` differs from ``a``, in Korean, for the manager's hint."""
    words_a, words_b = [w.text for w in a.words], [w.text for w in b.words]
    if a.normalized == b.normalized:
        return "띄어쓰기·문장부호만 다름" if words_a != words_b else ""
    if sorted(words_a) == sorted(words_b):
        return "어순만 다름"
    if len(words_a) == len(words_b):
        changed = [(x, y) for x, y in zip(a.words, b.words) if x.text != y.text]
        if all(
            x.stem == y.stem or x.text.startswith(y.text) or y.text.startswith(x.text)
            for x, y in changed
        ):
            return "조사·어미만 다름"
        if all(_edits(x.jamo, y.jamo) <= 2 for x, y in changed):
            return "글자 몇 개만 다름"
        if (
            len(changed) == 1
            and changed[0][0] is a.words[-1]
            and changed[0][0].jamo[0] == changed[0][1].jamo[0]
        ):
            return "끝말(어미)만 다름"
    if sorted(w.stem for w in a.words) == sorted(w.stem for w in b.words):
        return "어순·조사만 다름"
    return "글자 몇 개만 다름"


def _edits(a: str, b: str) -> int:
    """Jamo edits between two words (their length when too different to count)."""
    longer = max(len(a), len(b))
    similar = _token_similarity(a, b)
    return round((1 - similar) * longer) if similar else longer


def find_near_duplicates(
    submissions: Iterable[tuple[int, str]],
    threshold: float = DUPLICATE_THRESHOLD,
    shingle_size: int = DUPLICATE_SHINGLE_SIZE,
) -> dict[int, NearDuplicate]:
    """For each submission (``(id, text)`` in time order) the most similar earlier one.

    Only submissions that have such an earlier one appear in the result. Among equally
    similar earlier submissions the first one wins.
    """
    if not 0 < threshold <= 1:
        raise ValueError("threshold must be in (0, 1]")
    items = list(submissions)
    feats = [features(text, shingle_size) for _, text in items]
    # A word's key: its first two letters, which particles, endings and most typos leave alone
    # (one-letter words say little).
    stem_sets = [frozenset(w.text[:2] for w in f.words if len(w.text) > 1) for f in feats]
    gram_counts, stem_counts = shingle_counts(f.grams for f in feats), shingle_counts(stem_sets)
    candidate_threshold = min(threshold, CANDIDATE_THRESHOLD)
    first_with_text: dict[str, int] = {}
    gram_index: dict[str, list[int]] = {}
    stem_index: dict[str, list[int]] = {}
    found: dict[int, NearDuplicate] = {}
    for position, (submission_id, _) in enumerate(items):
        mine = feats[position]
        if not mine.normalized:
            continue
        grams = prefix(mine.grams, gram_counts, threshold)
        stems = (
            prefix(stem_sets[position], stem_counts, STEM_OVERLAP) if stem_sets[position] else []
        )
        earlier = first_with_text.get(mine.normalized)
        if earlier is not None:
            found[submission_id] = _duplicate(items[earlier], 1.0, describe(feats[earlier], mine))
        else:
            first_with_text[mine.normalized] = position
            by_letters = {p for gram in grams for p in gram_index.get(gram, ())}
            by_words = {p for s in stems for p in stem_index.get(s, ())}
            best = _best_earlier(mine, by_letters, by_words, feats, threshold, candidate_threshold)
            if best is not None:
                found[submission_id] = _duplicate(
                    items[best[1]],
                    min(best[0], MAX_NEAR_SIMILARITY),
                    describe(feats[best[1]], mine),
                )
        for gram in grams:
            gram_index.setdefault(gram, []).append(position)
        for s in stems:
            stem_index.setdefault(s, []).append(position)
    return found


def _best_earlier(
    mine: _Features,
    by_letters: set[int],
    by_words: set[int],
    feats: Sequence[_Features],
    threshold: float,
    candidate_threshold: float,
) -> tuple[float, int] | None:
    """The most similar earlier candidate reaching the threshold (the first one on ties).

    ``by_letters`` share a probe trigram: their letters may reach the threshold, and their words
    are compared too. ``by_words`` share a probe stem only: only their words can reach it.
    """
    best: tuple[float, int] | None = None
    size = len(mine.grams)
    for position in sorted(by_letters | by_words):
        other = feats[position]
        ratio = len(other.grams) / size if size else 0.0
        letters_may = (
            position in by_letters and threshold <= ratio <= 1 / threshold
        )  # Jaccard's size bound
        words_may = position in by_words and MIN_SIZE_RATIO <= ratio <= 1 / MIN_SIZE_RATIO
        if not (letters_may or words_may):
            continue
        letters = letters_similarity(mine, other)
        if letters < threshold and not (words_may and letters >= candidate_threshold):
            continue
        score = max(letters, words_similarity(mine, other)) if letters < 1.0 else letters
        if score >= threshold and (best is None or score > best[0]):
            best = (score, position)
    return best


def _best(word: _Word, others: Sequence[_Word]) -> float:
    """1 for the same word; SAME_STEM for the same stem or a particle or ending added ("생각한다요");
    else the jamo edit similarity (0 under MIN_TOKEN_SIMILARITY)."""
    best = 0.0
    for other in others:
        if word.text == other.text:
            return 1.0
        if (
            word.stem == other.stem
            or word.text.startswith(other.text)
            or other.text.startswith(word.text)
        ):
            score = SAME_STEM
        else:
            score = _token_similarity(word.jamo, other.jamo)
        if score > best:
            best = score
    return best if best >= MIN_TOKEN_SIMILARITY else 0.0


@lru_cache(maxsize=1 << 16)
def _token_similarity(a: str, b: str) -> float:
    """1 - (jamo edit distance) / (longer length)."""
    longer = max(len(a), len(b))
    if not longer or abs(len(a) - len(b)) > longer * (1 - MIN_TOKEN_SIMILARITY):
        return 0.0
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return 1 - previous[-1] / longer


def _duplicate(item: tuple[int, str], similarity: float, difference: str) -> NearDuplicate:
    """1.0 only for equal normalized texts: anything else stays under it, also once rounded."""
    shown = 1.0 if similarity >= 1.0 else min(round(similarity, 4), MAX_NEAR_SIMILARITY)
    return NearDuplicate(
        earlier_id=item[0], earlier_text=item[1], similarity=shown, difference=difference
    )
