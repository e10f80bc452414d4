"""Topic relevance: topic words found, weighed against the other topics' words and chatter."""

from __future__ import annotations

import pytest

from apeach_ls.aids.topic_relevance import (
    CHATTER,
    OFF_TOPIC_BELOW,
    TOPIC_KEYWORDS,
    WEAK_WEIGHT,
    TopicScorer,
    parse_cue,
    topic_relevance,
)
from apeach_ls.prompts import Prompt, default_prompts

ON_TOPIC = [
    ("gender-stereotypes", "여자는 운전을 못하니까 집에서 살림이나 해야 한다"),
    ("sexual-harassment", "게이들은 다 변태라서 가까이 가면 안 된다"),
    ("appearance", "뚱뚱한 사람은 자기관리를 못한 거라서 게으르다"),
    ("age-and-social-status", "나이 많은 부장들은 다 꼰대라서 말이 안 통한다"),
    ("education", "지방대 나온 애들은 학벌이 낮아서 일을 못한다"),
    ("origin-and-residence", "전라도 출신은 믿으면 안 된다는 말이 있다"),
    ("nationality", "조선족은 다 범죄자라서 중국으로 돌려보내야 한다"),
    ("racism", "흑인은 피부색 때문에 무섭게 느껴진다"),
    ("disabled", "장애인은 휠체어 타고 밖에 나오지 말아라"),
    ("diets", "채식주의자들은 고기 먹는 사람을 무시한다"),
]
NEUTRAL = [
    "내일 비가 온다고 해서 우산을 챙겼다",
    "이번 주말에 같이 놀러 갈래?",
    "아 진짜 오늘 너무 덥다",
]
# The way crowd writers write: implicit, slang, misspelled, no topic name in sight.
IMPLICIT = [
    ("gender-stereotypes", "김여사 또 주차 두칸 먹었네"),
    ("sexual-harassment", "개이들 진짜 이해않됨"),
    ("appearance", "얼평하는 사람들 진짜 싫다"),
    ("appearance", "쌍커풀 없으면 인상 안좋아보임"),
    ("age-and-social-status", "부장님 라떼는 말이야 좀 그만"),
    ("age-and-social-status", "잼민이들 게임에서 욕 개많이함"),
    ("education", "지잡대 주제에 스펙 자랑하네"),
    ("origin-and-residence", "깽깽이들은 왜 저럼"),
    ("nationality", "쪽바리 제품 불매"),
    ("racism", "흑형들 농구는 잘하더라"),
    ("disabled", "애자새끼 ㅋㅋ"),
    ("disabled", "귀머거리냐 왜 못알아들어"),
    ("diets", "고수 싫다는데 계속 넣어줌"),
]
CHATTER_SENTENCES = [
    "드라마 첫회 보고 연기 소름 돋았어요",
    "컴백 축하해요 앨범 대박나세요",
    "기자 또 소설쓰네 기레기",
]


@pytest.fixture(scope="module")
def scorer():
    return TopicScorer(default_prompts())


@pytest.mark.parametrize("key, sentence", ON_TOPIC)
def test_an_on_topic_sentence_scores_highest_for_its_topic(scorer, key, sentence):
    shares = scorer.scores(sentence)
    assert max(shares, key=shares.get) == key
    assert scorer.relevance(sentence, key) >= 0.5


@pytest.mark.parametrize("key, sentence", ON_TOPIC)
def test_the_same_sentence_under_another_topic_is_off_topic(scorer, key, sentence):
    other = ON_TOPIC[(ON_TOPIC.index((key, sentence)) + 3) % len(ON_TOPIC)][0]
    assert scorer.relevance(sentence, other) < OFF_TOPIC_BELOW


def test_food_under_racism_is_low(scorer):
    food = "오늘 점심은 김치찌개랑 고기를 먹었는데 맛있었다"
    assert scorer.relevance(food, "racism") < OFF_TOPIC_BELOW
    assert scorer.relevance(food, "diets") > 0.5


@pytest.mark.parametrize("sentence", NEUTRAL)
def test_a_sentence_without_any_topic_word_is_off_topic_under_every_topic(scorer, sentence):
    assert all(relevance == 0 for relevance in scorer.scores(sentence).values())


@pytest.mark.parametrize("key, sentence", IMPLICIT)
def test_implicit_slang_and_misspelled_sentences_are_on_topic(scorer, key, sentence):
    assert scorer.relevance(sentence, key) >= OFF_TOPIC_BELOW


@pytest.mark.parametrize("sentence", CHATTER_SENTENCES)
def test_entertainment_chatter_is_off_topic_and_says_so(scorer, sentence):
    for key in TOPIC_KEYWORDS:
        evidence = scorer.explain(sentence, key)
        assert evidence.relevance < OFF_TOPIC_BELOW
        assert evidence.rival_key == CHATTER and evidence.rival_words


def test_the_evidence_names_the_words_on_both_sides(scorer):
    evidence = scorer.explain("채식주의자들은 고기 먹는 사람을 무시한다", "racism")
    assert evidence.relevance < OFF_TOPIC_BELOW and evidence.words == ()
    assert evidence.rival_key == "diets" and {"채식주의", "고기"} <= set(evidence.rival_words)
    on_topic = scorer.explain("흑인은 피부색 때문에 무섭다", "racism")
    assert on_topic.words == ("흑인", "피부색")


def test_a_weak_word_alone_counts_less_than_a_strong_one(scorer):
    weak = scorer.relevance("우리 회사 주가가 많이 올랐다", "age-and-social-status")  # "회사": weak
    strong = scorer.relevance("우리 회사 꼰대가 또 그랬다", "age-and-social-status")
    assert OFF_TOPIC_BELOW <= weak < strong


def test_a_word_outweighed_by_another_topic_is_low(scorer):
    # a weak word of the prompt against several of another topic; two strong ones hold
    assert (
        scorer.relevance("흑인 백인 황인 다 같이 밥 먹었다", "diets") >= OFF_TOPIC_BELOW
    )  # "밥" is strong
    assert (
        scorer.relevance("흑인 백인 황인 다 같이 커피 한잔", "diets") < OFF_TOPIC_BELOW
    )  # "커피" is weak


def test_a_word_inside_another_word_does_not_count(scorer):
    assert (
        scorer.explain("사장님이 흑인 손님을 안 받음", "disabled").words == ()
    )  # "장님" in "사장님"
    assert scorer.explain("욕먹을 소리 하네 흑인이 어때서", "diets").words == ()  # "먹" in "욕먹"


def test_scores_cover_every_topic_in_zero_to_one(scorer):
    for _, sentence in ON_TOPIC:
        scores = scorer.scores(sentence)
        assert set(scores) == set(TOPIC_KEYWORDS)
        assert all(0 <= score < 1 for score in scores.values())


@pytest.mark.parametrize(
    "spec, text, found",
    [
        ("여자", "여자들은", True),
        ("^촌", "촌스럽다", True),
        ("^촌", "농촌", False),
        ("키 작", "키작은", True),
        ("살", "살빼", True),
        ("살", "사살", False),
        ("re:[1-9]0대", "40대 아재", True),
        ("~먹", "먹었다", True),
    ],
)
def test_keyword_syntax(spec, text, found):
    cue = parse_cue(spec)
    assert bool(cue.pattern.search(text)) is found
    assert cue.weight == (WEAK_WEIGHT if spec.startswith("~") else 1.0)


def test_batch_and_single_agree(scorer):
    keys = [key for key, _ in ON_TOPIC]
    sentences = [sentence for _, sentence in ON_TOPIC]
    batch = scorer.relevances(sentences, keys)
    assert batch == pytest.approx([scorer.relevance(s, k) for s, k in zip(sentences, keys)])


def test_a_campaign_with_one_topic_is_still_scored_against_the_others():
    racism = next(p for p in default_prompts() if p.key == "racism")
    assert topic_relevance("흑인은 피부색 때문에 무섭다", racism) > 0.5
    assert topic_relevance("채식주의자들은 고기 먹는 사람을 무시한다", racism) < OFF_TOPIC_BELOW


def test_a_custom_topic_without_keywords_uses_its_own_text():
    """Words of its topic and guideline count; the rules every default guideline shares do not."""
    pets = Prompt(
        key="pets",
        topic="반려동물을 키우는 사람에 대한 발언",
        topic_eng="Pet owners",
        guideline="강아지나 고양이 같은 반려동물을 키우는 사람에 대한 문장을 쓰세요.",
    )
    scorer = TopicScorer([pets])
    sentence = "강아지 키우는 사람들은 반려동물 털 때문에 민폐다"
    assert scorer.relevance(sentence, "pets") > scorer.relevance(sentence, "racism")
    assert max(scorer.scores(sentence), key=scorer.scores(sentence).get) == "pets"


def test_unknown_topic_keys_are_named(scorer):
    with pytest.raises(KeyError, match="pets"):
        scorer.relevance("아무 문장", "pets")


def test_gender_biased_comments_are_more_relevant_to_gender_stereotypes(beep_dir, scorer):
    """On BEEP! train, comments labeled as gender-biased lean to the gender topic."""
    rows = [
        line.split("\t")
        for line in (beep_dir / "train.tsv").read_text(encoding="utf-8").splitlines()[1:]
    ]
    rows = rows[:3000]
    relevance = scorer.relevances([r[0] for r in rows], ["gender-stereotypes"] * len(rows))
    biased = [score for score, row in zip(relevance, rows) if row[1] == "True"]
    unbiased = [score for score, row in zip(relevance, rows) if row[1] == "False"]
    assert sum(biased) / len(biased) > 2 * sum(unbiased) / len(unbiased)
