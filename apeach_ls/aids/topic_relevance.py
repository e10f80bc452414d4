"""How well a sentence fits its prompt's topic: a HINT for managers, never a decision.

Crowd writers write short, informal, often implicit sentences, and almost every one of them
carries at least one word of its topic ("여경", "틀딱", "지잡대", "짱깨", "비건" ...). So a sentence
is scored on *cues*: words of each topic found in it (``data/topic_cues.json``, strong and weak
ones, written for the ten APEACH topics). A campaign's own topic without a cue list gets cues
from its topic and guideline text. Entertainment-news chatter ("드라마", "컴백", "악플" ...) counts
as one more, never-prompted topic.

The relevance of a sentence to its prompt is ``own / (own + rival + PRIOR)``: ``own`` is the
weight of the prompt's cues found, ``rival`` the weight of the best other topic's (or chatter's).
A sentence with no cue of its topic scores 0; one with a cue of its topic and none of another
scores ``1 / (1 + PRIOR)``; a cue of its topic outweighed by cues of another topic scores low.
Under ``off_topic_below`` the aid flags it, and its hint names the words on both sides.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from ..prompts import Prompt, default_prompts

OFF_TOPIC_BELOW = 0.2  # relevance under this is flagged (per campaign: [aids] off_topic_below)
PRIOR = 0.5  # the weight of "no topic at all": one strong cue of the prompt gives 1 / 1.5 = 0.67
STRONG_WEIGHT = 1.0
WEAK_WEIGHT = 0.35  # a weak cue (a word also common outside the topic)
MAX_WEIGHT = 3.0  # of one topic's cues in one sentence
WEAK_MARK = "~"  # a keyword starting with it is weak
CHATTER = "_chatter"  # the pseudo-topic of unrelated entertainment chatter
CHATTER_NAME_KO = "연예 기사 댓글 같은 잡담"


def _load_cues() -> tuple[dict[str, tuple[str, ...]], tuple[str, ...]]:
    data = json.loads(
        resources.files("apeach_ls").joinpath("data/topic_cues.json").read_text(encoding="utf-8")
    )
    keywords = {
        key: tuple(value["strong"]) + tuple(WEAK_MARK + w for w in value.get("weak", ()))
        for key, value in data.items()
        if not key.startswith("_")
    }
    chatter = tuple(data[CHATTER]["strong"]) + tuple(
        WEAK_MARK + w for w in data[CHATTER].get("weak", ())
    )
    return keywords, chatter


# Keywords of the ten APEACH topics (a leading "~" marks a weak one) and of chatter.
TOPIC_KEYWORDS, CHATTER_KEYWORDS = _load_cues()


@dataclass(frozen=True)
class Cue:
    word: str  # as shown to managers
    pattern: re.Pattern[str]
    weight: float


@dataclass(frozen=True)
class TopicEvidence:
    """Why a sentence got its relevance: the words of its topic and of the strongest other one."""

    relevance: float
    words: tuple[str, ...]  # the prompt's topic words found
    rival_key: str | None = None  # the other topic (or CHATTER) with the most weight, if any
    rival_name: str | None = None  # its Korean name
    rival_words: tuple[str, ...] = ()


def parse_cue(spec: str) -> Cue:
    """One keyword: "~" weak, "^" only at the start of a word, "re:" a regular expression; a space
    matches any spacing (also none); a one-syllable word matches only at the start of a word."""
    weight = STRONG_WEIGHT
    if spec.startswith(WEAK_MARK):
        spec, weight = spec[1:], WEAK_WEIGHT
    if spec.startswith("re:"):
        return Cue(spec[3:], re.compile(spec[3:]), weight)
    word = _fold(spec.lstrip("^")).strip()
    if not word:
        raise ValueError(f"empty topic keyword {spec!r}")
    body = r"\s*".join(re.escape(part) for part in word.split())
    start = spec.startswith("^") or len(word) == 1
    return Cue(word, re.compile(rf"(?<![가-힣a-z0-9]){body}" if start else body), weight)


# Words that say nothing about a topic, left out of the cues made from a prompt's own text.
_GENERIC = frozenset(
    """발언 문장 사람 대한 떠올려 보세요 쓰세요 쓰지 혐오 표현 먼저 고른 의도 대로 하나 직접 규칙
이름 실제 인물 공인 자리표시자 인터넷 복사 붙여넣지 맞춤법 틀려도 괜찮습니다 차별 비하 에 특정 어떤 같은 이런
따라 의한 기반한 대해 관한 다른 또는 그리고 하는 있는 없는 하거나 이나 이유로 것을""".split()
)
_SUFFIXES = (
    "에 대한",
    "에서",
    "으로",
    "이나",
    "이랑",
    "에게",
    "한테",
    "까지",
    "부터",
    "처럼",
    "보다",
    "하는",
    "하고",
    "을",
    "를",
    "이",
    "가",
    "은",
    "는",
    "에",
    "의",
    "로",
    "와",
    "과",
    "나",
    "도",
    "만",
)


def prompt_cues(prompt: Prompt, boilerplate: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """Keywords made from a prompt's own topic and guideline text (for a topic without a cue list)."""
    words = []
    for word in re.findall(r"[가-힣a-z0-9]+", _fold(f"{prompt.topic} {prompt.guideline}")):
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 2:
                word = word[: -len(suffix)]
                break
        if len(word) >= 2 and word not in _GENERIC and word not in boilerplate:
            words.append(word)
    return tuple(dict.fromkeys(words))


def _boilerplate(prompts: Sequence[Prompt]) -> frozenset[str]:
    """Words found in the text of three or more topics: the shared rules, not a topic."""
    counts: dict[str, int] = {}
    for prompt in prompts:
        for word in set(prompt_cues(prompt)):
            counts[word] = counts.get(word, 0) + 1
    return frozenset(word for word, count in counts.items() if count >= 3)


class TopicScorer:
    """Scores sentences against the campaign's prompts, the default topics and chatter."""

    def __init__(
        self,
        prompts: Sequence[Prompt],
        keywords: Mapping[str, Sequence[str]] = TOPIC_KEYWORDS,
        distractors: Sequence[Prompt] | None = None,
        chatter: Sequence[str] = CHATTER_KEYWORDS,
        prior: float = PRIOR,
    ):
        topics = {p.key: p for p in prompts}
        for prompt in default_prompts() if distractors is None else distractors:
            topics.setdefault(prompt.key, prompt)
        self.keys = list(topics)
        self.names = {key: prompt.topic for key, prompt in topics.items()}
        boilerplate = _boilerplate(default_prompts())
        self.cues = {
            key: _cues(keywords[key] if keywords.get(key) else prompt_cues(prompt, boilerplate))
            for key, prompt in topics.items()
        }
        if chatter:
            self.cues[CHATTER] = _cues(chatter)
            self.names[CHATTER] = CHATTER_NAME_KO
        self.prior = prior
        self.fingerprint = hashlib.sha256(
            json.dumps(
                [
                    prior,
                    [
                        (
                            key,
                            self.names[key],
                            [(c.pattern.pattern, c.weight) for c in cue_set.cues],
                        )
                        for key, cue_set in self.cues.items()
                    ],
                ],
                ensure_ascii=False,
            ).encode("utf-8")
        ).hexdigest()
        """What the scorer's results depend on (its topics, their cue words and weights)."""

    def evidence(self, text: str) -> dict[str, tuple[float, tuple[str, ...]]]:
        """Per topic (and CHATTER): the weight of its cues found in ``text`` and the words."""
        folded = _fold(text)
        return {key: _found(cues, folded) for key, cues in self.cues.items()}

    def explain(self, text: str, prompt_key: str) -> TopicEvidence:
        if prompt_key not in self.keys:
            raise KeyError(f"unknown topic key(s): {prompt_key}")
        found = self.evidence(text)
        own, words = found[prompt_key]
        rivals = [
            (weight, key) for key, (weight, _) in found.items() if key != prompt_key and weight > 0
        ]
        rival_weight, rival_key = (
            max(rivals, key=lambda r: (r[0], -self._order(r[1]))) if rivals else (0.0, None)
        )
        relevance = (
            own / (own + rival_weight + self.prior) if own + rival_weight + self.prior > 0 else 0.0
        )
        if rival_key is None:
            return TopicEvidence(relevance, words)
        return TopicEvidence(
            relevance, words, rival_key, self.names[rival_key], found[rival_key][1]
        )

    def explain_many(self, texts: Sequence[str], prompt_keys: Sequence[str]) -> list[TopicEvidence]:
        unknown = sorted(set(prompt_keys) - set(self.keys))
        if unknown:
            raise KeyError(f"unknown topic key(s): {', '.join(unknown)}")
        return [self.explain(text, key) for text, key in zip(texts, prompt_keys)]

    def scores(self, text: str) -> dict[str, float]:
        """The relevance of ``text`` to every topic."""
        return dict(zip(self.keys, self.shares([text])[0].tolist()))

    def relevance(self, text: str, prompt_key: str) -> float:
        """The relevance to the prompt's topic, in [0, 1); 0 when no word of the topic is found."""
        return self.explain(text, prompt_key).relevance

    def relevances(self, texts: Sequence[str], prompt_keys: Sequence[str]) -> list[float]:
        """``relevance`` of many sentences at once."""
        return [e.relevance for e in self.explain_many(texts, prompt_keys)]

    def shares(self, texts: Sequence[str]) -> np.ndarray:
        """A (sentences x topics) array of relevances; topics in the order of ``keys``."""
        return np.array(
            [[self.explain(text, key).relevance for key in self.keys] for text in texts]
        ).reshape(len(texts), len(self.keys))

    def _order(self, key: str) -> int:
        return self.keys.index(key) if key in self.keys else len(self.keys)


def topic_relevance(text: str, prompt: Prompt, prompts: Sequence[Prompt] = ()) -> float:
    """One-off relevance of ``text`` to ``prompt`` (build a ``TopicScorer`` for many)."""
    return TopicScorer([prompt, *prompts]).relevance(text, prompt.key)


@dataclass(frozen=True)
class _CueSet:
    cues: tuple[Cue, ...]
    combined: re.Pattern[str] | None  # all cues in one alternation, longer words first


@lru_cache(maxsize=64)
def _cues_cached(keywords: tuple[str, ...]) -> _CueSet:
    cues = tuple(sorted((parse_cue(k) for k in keywords), key=lambda c: -len(c.word)))
    combined = re.compile("|".join(f"(?:{c.pattern.pattern})" for c in cues)) if cues else None
    return _CueSet(cues, combined)


def _cues(keywords: Sequence[str]) -> _CueSet:
    return _cues_cached(tuple(keywords))


def _found(cue_set: _CueSet, folded: str) -> tuple[float, tuple[str, ...]]:
    """The weight (capped) and words of the cues found, left to right, a longer word first where
    two start at the same place (each place counts once)."""
    if cue_set.combined is None:
        return 0.0, ()
    words: dict[str, float] = {}
    for match in cue_set.combined.finditer(folded):
        if match.end() == match.start():
            continue
        weight = max(
            (
                c.weight
                for c in cue_set.cues
                if (m := c.pattern.match(folded, match.start())) and m.end() == match.end()
            ),
            default=0.0,
        )
        words[match.group()] = max(words.get(match.group(), 0.0), weight)
    return min(MAX_WEIGHT, sum(words.values())), tuple(words)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()
