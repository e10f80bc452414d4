"""Topic relevance: a hint relative to the other topics."""

from __future__ import annotations

import pytest

from apeach_ls.aids.topic_relevance import OFF_TOPIC_BELOW, TOPIC_KEYWORDS, TopicScorer, topic_relevance
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
NEUTRAL = ["내일 비가 온다고 해서 우산을 챙겼다", "우리 회사 주가가 많이 올랐다", "이번 주말에 영화 보러 갈래?"]


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
def test_a_sentence_that_fits_no_topic_scores_about_uniform(scorer, sentence):
    shares = scorer.scores(sentence)
    assert max(shares.values()) < 0.3
    assert all(share < OFF_TOPIC_BELOW for share in shares.values())


def test_shares_are_a_distribution(scorer):
    for _, sentence in ON_TOPIC:
        shares = scorer.scores(sentence)
        assert set(shares) == set(TOPIC_KEYWORDS)
        assert sum(shares.values()) == pytest.approx(1.0)
        assert all(0 <= share <= 1 for share in shares.values())


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
    pets = Prompt(key="pets", topic="반려동물을 키우는 사람에 대한 발언",
                  topic_eng="Pet owners", guideline="강아지나 고양이 같은 반려동물을 키우는 사람에 대한 문장을 쓰세요.")
    scorer = TopicScorer([pets])
    sentence = "강아지 키우는 사람들은 반려동물 털 때문에 민폐다"
    assert scorer.relevance(sentence, "pets") > scorer.relevance(sentence, "racism")
    assert max(scorer.scores(sentence), key=scorer.scores(sentence).get) == "pets"


def test_unknown_topic_keys_are_named(scorer):
    with pytest.raises(KeyError, match="pets"):
        scorer.relevance("아무 문장", "pets")


def test_gender_biased_comments_are_more_relevant_to_gender_stereotypes(beep_dir, scorer):
    """On BEEP! train, comments labeled as gender-biased lean to the gender topic."""
    rows = [line.split("\t") for line in (beep_dir / "train.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    rows = rows[:3000]
    relevance = scorer.relevances([r[0] for r in rows], ["gender-stereotypes"] * len(rows))
    biased = [score for score, row in zip(relevance, rows) if row[1] == "True"]
    unbiased = [score for score, row in zip(relevance, rows) if row[1] == "False"]
    assert sum(biased) / len(biased) > 2 * sum(unbiased) / len(unbiased)
