"""The aids' per-campaign thresholds ([aids] in the campaign config) and how compute_aids uses them."""

from __future__ import annotations

import pytest

from apeach_ls.aids import FLAG_NEAR_DUPLICATE, FLAG_OFF_TOPIC, SubmissionText, compute_aids
from apeach_ls.campaign_config import load_config
from apeach_ls.errors import ConfigError
from apeach_ls.prompts import default_prompts

PROMPTS = {p.key: p for p in default_prompts()}


def _config(tmp_path, aids: str = ""):
    path = tmp_path / "campaign.toml"
    path.write_text(f'[campaign]\nname = "apeach-aids"\n{aids}', encoding="utf-8")
    return load_config(path, env={})


def test_the_defaults_are_the_ones_the_targets_were_met_with(tmp_path):
    config = _config(tmp_path)
    assert (config.copy_threshold, config.duplicate_threshold, config.off_topic_below) == (
        0.7,
        0.8,
        0.2,
    )
    assert config.off_topic_without_words is False


def test_each_threshold_can_be_set(tmp_path):
    config = _config(
        tmp_path,
        "[aids]\ncopy_threshold = 0.9\nduplicate_threshold = 0.85\noff_topic_below = 0\n"
        "off_topic_without_words = true\n",
    )
    assert (config.copy_threshold, config.duplicate_threshold, config.off_topic_below) == (
        0.9,
        0.85,
        0.0,
    )
    assert config.off_topic_without_words is True


@pytest.mark.parametrize(
    "line, message",
    [
        ("off_topic_below = 1.5", "[aids] off_topic_below: must be a number in [0, 1], got 1.5"),
        ("off_topic_below = true", "[aids] off_topic_below: must be a number in [0, 1], got True"),
        (
            "duplicate_threshold = 0",
            "[aids] duplicate_threshold: must be a number in (0, 1], got 0",
        ),
        (
            "off_topic_without_words = 1",
            "[aids] off_topic_without_words: must be true or false, got 1",
        ),
        (
            "off_topic = 0.2",
            "[aids] off_topic: unknown key; known: copy_threshold, duplicate_threshold, "
            "off_topic_below, off_topic_without_words, reference_corpora",
        ),
    ],
)
def test_a_bad_threshold_is_named(tmp_path, line, message):
    with pytest.raises(ConfigError) as error:
        _config(tmp_path, f"[aids]\n{line}\n")
    assert message in str(error.value)


def test_off_topic_below_moves_the_flag():
    food = [SubmissionText(1, "오늘 점심은 김치찌개 먹었다", "racism")]
    assert FLAG_OFF_TOPIC in compute_aids(food, PROMPTS)[1].flags()
    assert FLAG_OFF_TOPIC not in compute_aids(food, PROMPTS, off_topic_below=0.0)[1].flags()
    weak = [
        SubmissionText(1, "우리 회사 주가가 많이 올랐다", "age-and-social-status")
    ]  # one weak word
    assert FLAG_OFF_TOPIC not in compute_aids(weak, PROMPTS)[1].flags()
    assert FLAG_OFF_TOPIC in compute_aids(weak, PROMPTS, off_topic_below=0.5)[1].flags()


def test_duplicate_threshold_moves_the_flag():
    pair = [
        SubmissionText(1, "전라도 사람은 뒤통수를 잘 쳐", "origin-and-residence"),
        SubmissionText(2, "전라도 사람은 뒤통수를 잘 친다", "origin-and-residence"),
    ]
    assert FLAG_NEAR_DUPLICATE in compute_aids(pair, PROMPTS)[2].flags()
    assert (
        FLAG_NEAR_DUPLICATE not in compute_aids(pair, PROMPTS, duplicate_threshold=0.95)[2].flags()
    )


def test_a_sentence_without_any_topic_word_is_undecided_unless_the_campaign_flags_it():
    bare = [SubmissionText(1, "내일 비가 온다고 해서 우산을 챙겼다", "racism")]
    undecided = compute_aids(bare, PROMPTS)[1]
    assert FLAG_OFF_TOPIC not in undecided.flags() and undecided.topic_undecided()
    assert undecided.summary_ko() == "주제 관련도 0.00 (모름: 어느 주제의 단어도 없음)"
    flagged = compute_aids(bare, PROMPTS, off_topic_without_words=True)[1]
    assert FLAG_OFF_TOPIC in flagged.flags()
    assert flagged.summary_ko() == "주제 관련도 0.00 (낮음: 어느 주제의 단어도 없음)"


def test_a_sentence_with_words_of_another_topic_only_is_flagged_either_way():
    food = [SubmissionText(1, "오늘 점심은 김치찌개 먹었다", "racism")]
    for without_words in (False, True):
        aid = compute_aids(food, PROMPTS, off_topic_without_words=without_words)[1]
        assert FLAG_OFF_TOPIC in aid.flags()
        assert (
            "주제 단어 없음; '다른 식습관을 강요하거나 무시하는 발언' 쪽 단어 '점심'"
            in aid.summary_ko()
        )
