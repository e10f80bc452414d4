"""How well a sentence fits its prompt's topic: a HINT for managers, never a decision.

Each topic is described by its prompt (topic and guideline text) and, for the ten APEACH
topics, a short list of Korean keywords. A sentence gets a raw score per topic: the cosine
of character n-grams (weighted by how specific they are to one topic) plus a bonus per
keyword found. The relevance is the prompt's share of a softmax over all topics, so it is
relative: a sentence about food written under "Racism" scores low because "Diets" fits
better, and a sentence that fits no topic scores about 1 / number of topics. The campaign's
prompts compete with the ten default topics, so a campaign with one topic still gets a
meaningful score.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Mapping, Sequence

import numpy as np

from ..prompts import Prompt, default_prompts

OFF_TOPIC_BELOW = 0.2  # relevance under this is shown as "low" (uniform would be 0.1 of 10 topics)
COSINE_WEIGHT = 2.0  # raw score per unit of n-gram cosine with the topic's text
KEYWORD_WEIGHT = 0.5  # raw score per distinct keyword found, at most MAX_KEYWORDS of them
MAX_KEYWORDS = 3
TEMPERATURE = 0.15

TOPIC_KEYWORDS: dict[str, tuple[str, ...]] = {
    "gender-stereotypes": ("여자", "남자", "여성", "남성", "성별", "여초", "남초", "남녀", "엄마", "아빠", "아내",
                           "남편", "주부", "김여사", "맘충", "한남", "된장녀", "김치녀", "페미", "군대", "육아",
                           "집안일", "살림", "여경", "여군", "모성", "가부장", "여혐", "남혐", "아줌마", "아저씨"),
    "sexual-harassment": ("게이", "레즈", "동성애", "동성", "트랜스", "성소수자", "퀴어", "성전환", "트젠", "양성애",
                          "호모", "커밍아웃", "성정체성", "성 정체성", "성적 지향", "성적지향", "이반", "여장",
                          "남장", "변태", "섹스", "성희롱", "성적", "젠더"),
    "appearance": ("얼굴", "못생", "뚱뚱", "키", "외모", "살", "돼지", "몸매", "성형", "피부", "여드름", "대머리",
                   "탈모", "예쁘", "이쁘", "잘생", "추녀", "추남", "오크", "난쟁이", "비만", "마른", "말라", "턱",
                   "몸무게", "쌍꺼풀", "루저", "외모지상"),
    "age-and-social-status": ("나이", "늙", "노인", "틀딱", "꼰대", "젊은", "어린", "급식", "연차", "신입", "막내",
                              "사원", "부장", "상사", "부하", "직급", "알바", "비정규직", "정규직", "계약직", "청소부",
                              "경비", "가난", "거지", "흙수저", "금수저", "서민", "월급", "연봉", "잼민", "노친네",
                              "할배", "할매", "세대", "나잇값", "신분"),
    "education": ("학력", "학벌", "대학", "대졸", "고졸", "중졸", "전공", "학위", "명문대", "지방대", "서울대", "전문대",
                  "문과", "이과", "공대", "인문", "예체능", "공부", "수능", "학교", "교육", "석사", "박사", "졸업",
                  "스펙", "무식", "못배운", "인서울", "지잡"),
    "origin-and-residence": ("지역", "출신", "고향", "전라도", "경상도", "충청도", "강원도", "제주", "서울", "부산",
                             "대구", "광주", "홍어", "과메기", "절라", "깽깽이", "시골", "촌", "지방", "수도권", "강남",
                             "임대", "아파트", "동네", "사투리", "빌라", "경상", "전라", "충청", "호남", "영남"),
    "nationality": ("국적", "중국", "짱깨", "짱개", "조선족", "일본", "쪽바리", "베트남", "동남아", "외국인", "이민",
                    "난민", "다문화", "한국인", "미국", "필리핀", "탈북", "북한", "이주", "외국", "귀화", "왜놈",
                    "중국인", "일본인", "국제결혼"),
    "racism": ("인종", "흑인", "백인", "황인", "피부색", "깜둥", "검둥", "니그로", "흑형", "까만", "하얀", "유색",
               "아프리카", "혼혈", "튀기", "동양인", "서양인", "아시아인", "코쟁이", "흰둥"),
    "disabled": ("장애", "병신", "애자", "지체", "정신병", "우울증", "자폐", "치매", "환자", "질병", "휠체어", "시각",
                 "청각", "귀머거리", "벙어리", "장님", "절름발이", "에이즈", "발달", "조현병", "불구", "정신과",
                 "아픈", "병원"),
    "diets": ("채식", "비건", "고기", "먹", "육식", "음식", "식습관", "채소", "야채", "식단", "다이어트", "밥", "반찬",
              "편식", "맛", "요리", "우유", "계란", "생선", "돼지고기", "소고기", "치킨", "샐러드", "단식", "할랄",
              "식사", "메뉴", "매운", "간식"),
}


class TopicScorer:
    """Scores sentences against the campaign's prompts and the default topics."""

    def __init__(self, prompts: Sequence[Prompt], keywords: Mapping[str, Sequence[str]] = TOPIC_KEYWORDS,
                 distractors: Sequence[Prompt] | None = None):
        topics = {p.key: p for p in prompts}
        for prompt in default_prompts() if distractors is None else distractors:
            topics.setdefault(prompt.key, prompt)
        self.keys = list(topics)
        documents = [_ngrams(_fold(" ".join((p.topic, p.guideline, *keywords.get(p.key, ())))))
                     for p in topics.values()]
        self.vocabulary = {gram: i for i, gram in enumerate(sorted(set().union(*documents)))}
        columns = [[self.vocabulary[g] for g in grams] for grams in documents]
        df = np.zeros(len(self.vocabulary))
        for cols in columns:
            df[cols] += 1
        self.idf = np.log(len(documents) / df)  # n-grams every topic has (the rules) weigh 0
        self.unseen_weight = math.log(len(documents))  # an n-gram no topic has is as specific as can be
        vectors = np.zeros((len(documents), len(self.vocabulary)))
        for row, cols in enumerate(columns):
            vectors[row, cols] = self.idf[cols]
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        self.topic_vectors = vectors / np.where(norms == 0, 1, norms)
        self.keyword_patterns = [_keyword_pattern(keywords.get(key, ())) for key in self.keys]

    def scores(self, text: str) -> dict[str, float]:
        """The softmax share of every topic (they sum to 1)."""
        return dict(zip(self.keys, self.shares([text])[0].tolist()))

    def relevance(self, text: str, prompt_key: str) -> float:
        """The share of the prompt's topic, in [0, 1]; about 1 / number of topics means no evidence."""
        return self.relevances([text], [prompt_key])[0]

    def relevances(self, texts: Sequence[str], prompt_keys: Sequence[str]) -> list[float]:
        """``relevance`` of many sentences at once (one sparse product for all)."""
        unknown = sorted(set(prompt_keys) - set(self.keys))
        if unknown:
            raise KeyError(f"unknown topic key(s): {', '.join(unknown)}")
        column = {key: i for i, key in enumerate(self.keys)}
        shares = self.shares(texts)
        return [float(shares[row, column[key]]) for row, key in enumerate(prompt_keys)]

    def shares(self, texts: Sequence[str]) -> np.ndarray:
        """A (sentences x topics) array of softmax shares; topics in the order of ``keys``."""
        folded = [_fold(text) for text in texts]
        raw = np.array([self._cosines(_ngrams(text)) for text in folded]).reshape(len(texts), len(self.keys))
        hits = np.array([[_hits(pattern, text) for pattern in self.keyword_patterns] for text in folded])
        raw = COSINE_WEIGHT * raw + KEYWORD_WEIGHT * np.minimum(MAX_KEYWORDS, hits.reshape(raw.shape))
        weights = np.exp((raw - raw.max(axis=1, keepdims=True)) / TEMPERATURE)
        return weights / weights.sum(axis=1, keepdims=True)

    def _cosines(self, grams: set[str]) -> np.ndarray:
        columns = [self.vocabulary[g] for g in grams if g in self.vocabulary]
        weights = self.idf[columns]
        norm = math.sqrt(float(weights @ weights) + (len(grams) - len(columns)) * self.unseen_weight ** 2)
        return self.topic_vectors[:, columns] @ weights / norm if norm else np.zeros(len(self.keys))


def topic_relevance(text: str, prompt: Prompt, prompts: Sequence[Prompt] = ()) -> float:
    """One-off relevance of ``text`` to ``prompt`` (build a ``TopicScorer`` for many)."""
    return TopicScorer([prompt, *prompts]).relevance(text, prompt.key)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _ngrams(folded: str) -> set[str]:
    """Character 2- and 3-grams of the words of :func:`_fold`-ed text, each word padded with
    spaces (like char_wb)."""
    grams: set[str] = set()
    for word in folded.split():
        padded = f" {word} "
        grams.update(padded[i:i + n] for n in (2, 3) for i in range(len(padded) - n + 1))
    return grams


def _keyword_pattern(words: Sequence[str]) -> re.Pattern[str] | None:
    """One-syllable keywords ("키", "살", "먹") count only at the start of a word."""
    if not words:
        return None
    ordered = sorted({_fold(w) for w in words}, key=len, reverse=True)
    parts = [re.escape(w) if len(w) > 1 else rf"(?<![가-힣]){re.escape(w)}" for w in ordered]
    return re.compile("|".join(parts))


def _hits(pattern: re.Pattern[str] | None, text: str) -> int:
    return len(set(pattern.findall(text))) if pattern else 0
