"""Near-duplicates inside a campaign, and exact duplicates flagged on the managers' vote task."""

from __future__ import annotations

import random
import re
import unicodedata

import pytest

from apeach_ls.aids import FLAG_NEAR_DUPLICATE, SubmissionText, compute_aids
from apeach_ls.aids.near_duplicates import (
    NearDuplicate,
    features,
    find_near_duplicates,
    jamo,
    similarity,
    stem,
)
from apeach_ls.prompts import default_prompts
from apeach_ls.release.consistency import comparison_key

SENTENCE = "요즘 젊은 사람들은 회사에서 참을성이 너무 없다고 생각한다"


def test_same_text_after_normalization_points_at_the_first():
    found = find_near_duplicates(
        [
            (1, SENTENCE),
            (2, "전혀 다른 문장입니다 채식은 좋아요"),
            (3, "요즘  젊은 사람들은, 회사에서 참을성이 너무 없다고 생각한다!!"),
            (4, SENTENCE + " ㅋ"[:0]),
        ]
    )
    assert found == {3: NearDuplicate(1, SENTENCE, 1.0), 4: NearDuplicate(1, SENTENCE, 1.0)}


def test_case_width_and_emoji_do_not_hide_a_copy():
    found = find_near_duplicates(
        [(1, "BTS 팬들은 다 10대 여자애들이다"), (2, "ｂｔｓ팬들은 다 １０대 여자애들이다 😀")]
    )
    assert found[2].earlier_id == 1 and found[2].similarity == 1.0


def test_one_changed_character_is_almost_the_same():
    edited = SENTENCE.replace("회사에서", "회사애서")
    found = find_near_duplicates([(10, SENTENCE), (11, edited)])
    assert found[11].earlier_id == 10
    assert 0.8 <= found[11].similarity < 1.0


def test_different_sentences_are_not_duplicates():
    found = find_near_duplicates(
        [
            (1, SENTENCE),
            (2, "요즘 나이 든 사람들은 회사에서 고집이 너무 세다"),
            (3, "채식주의자는 고기를 먹는 사람을 무시한다"),
        ]
    )
    assert found == {}


def test_the_most_similar_earlier_one_wins_and_only_earlier_ones_count():
    close = SENTENCE.replace("너무", "너모")
    closer = SENTENCE + "요"
    found = find_near_duplicates([(1, close), (2, closer), (3, SENTENCE)])
    assert 1 not in found
    assert found[3].earlier_id == 2
    assert found[3].similarity > find_near_duplicates([(1, close), (3, SENTENCE)])[3].similarity


def test_texts_without_letters_are_skipped():
    assert find_near_duplicates([(1, "!!!"), (2, "???"), (3, "   ")]) == {}


def test_short_texts_match_only_exactly():
    assert find_near_duplicates([(1, "별로"), (2, "별로!"), (3, "별로야")]) == {
        2: NearDuplicate(1, "별로", 1.0)
    }


@pytest.mark.parametrize("threshold", [0, 1.5, -0.1])
def test_threshold_is_checked(threshold):
    with pytest.raises(ValueError, match="threshold"):
        find_near_duplicates([(1, "a")], threshold)


@pytest.fixture(scope="module")
def beep_sample(beep_dir):
    """Short BEEP! comments (crowd sentences are short), some with a letter replaced by "ㅋ" and
    some with their first and last words swapped."""
    lines = [
        line
        for line in (beep_dir / "unlabeled_comments_5.txt").read_text(encoding="utf-8").splitlines()
        if len(line) <= 60
    ]
    rng = random.Random(5)
    items = [(i, line) for i, line in enumerate(rng.sample(lines, 120))]
    items += [
        (1000 + i, text.replace(text[len(text) // 2], "ㅋ", 1))
        for i, (_, text) in enumerate(items[:25])
    ]
    swapped = [text.split() for _, text in items[25:50]]
    items += [
        (2000 + i, " ".join(words[-1:] + words[1:-1] + words[:1]))
        for i, words in enumerate(swapped)
    ]
    return items


@pytest.fixture(scope="module")
def all_pairs(beep_sample):
    """The similarity of every pair (later, earlier), computed once."""
    feats = [features(text) for _, text in beep_sample]
    return {
        (i, j): similarity(feats[i], feats[j])
        for i in range(len(feats))
        for j in range(i)
        if feats[i].normalized and feats[j].normalized
    }


@pytest.mark.parametrize("threshold", [0.8, 0.9])
def test_same_result_as_comparing_every_pair(beep_sample, all_pairs, threshold):
    """The candidate indexes miss no pair reaching the threshold (at 0.8 and above)."""
    found = find_near_duplicates(beep_sample, threshold)
    expected = {beep_sample[i][0] for (i, _), sim in all_pairs.items() if sim >= threshold}
    assert set(found) == expected
    by_id = {sid: position for position, (sid, _) in enumerate(beep_sample)}
    for sid, duplicate in found.items():
        best = max(sim for (i, _), sim in all_pairs.items() if beep_sample[i][0] == sid)
        assert duplicate.similarity == pytest.approx(best, abs=1e-4)
        assert by_id[duplicate.earlier_id] < by_id[sid]


def test_repeated_comments_are_found_among_ten_thousand(beep_dir):
    """(Timings are in scripts/bench_aids.py.)"""
    lines = (
        (beep_dir / "unlabeled_comments_5.txt").read_text(encoding="utf-8").splitlines()[:10_000]
    )
    found = find_near_duplicates(list(enumerate(lines)))
    assert found  # the crawl holds repeated comments
    assert all(duplicate.earlier_id < sid for sid, duplicate in found.items())


# The variants a writer makes of their own sentence, and different sentences on one topic

VARIANTS = [
    (
        "전라도 사람은 뒤통수를 잘 쳐",
        "전라도 사람은 뒤통수를 잘 친다",
        "끝말(어미)만 다름",
    ),  # the case
    ("난민 받으면 나라 망함", "난민을 받으면 나라가 망함", "조사·어미만 다름"),
    ("여자들은 원래 수학을 못함", "여자들은 원래 수학을 못핟", "글자 몇 개만 다름"),
    ("흑인 손님 오면 점원들이 따라다님", "점원들이 흑인 손님 오면 따라다님", "어순만 다름"),
    ("휠체어 타고 지하철 시위 민폐", "휠체어타고 지하철시위 민폐", "띄어쓰기·문장부호만 다름"),
    ("얼굴 크면 사진 찍을때 뒤로가라", "얼굴 크면 사진찍을때 뒤로 가라고", "글자 몇 개만 다름"),
]
DIFFERENT = [
    ("요즘 애들은 참을성이 없어", "요즘 애들은 예의가 없어"),
    ("흑인은 운동만 잘함", "흑인은 공부를 못함"),
    ("서울 사람은 정이 없다", "서울 사람은 다 부자다"),
    ("장애인은 집에만 있어라", "장애인도 밖에 나갈 권리가 있다"),
    ("여자는 감정적이라 리더 못함", "여자는 체력이 약해서 군대 못감"),
]


@pytest.mark.parametrize("first, second, difference", VARIANTS)
def test_a_variant_of_an_earlier_sentence_is_flagged_and_says_how_it_differs(
    first, second, difference
):
    found = find_near_duplicates([(1, first), (2, second)])
    assert found[2].earlier_id == 1 and found[2].difference == difference


@pytest.mark.parametrize("first, second", DIFFERENT)
def test_a_different_sentence_on_the_same_pattern_is_not_flagged(first, second):
    assert find_near_duplicates([(1, first), (2, second)]) == {}


def test_the_hint_names_the_earlier_sentence_and_the_difference():
    aids = compute_aids(
        [
            SubmissionText(1, VARIANTS[0][0], "origin-and-residence", 7),
            SubmissionText(2, VARIANTS[0][1], "origin-and-residence", 7),
        ],
        PROMPTS,
    )
    assert re.match(
        r"비슷한 문장이 이미 있음 \(#1, 같은 작성자, 유사도 0\.\d\d, 끝말\(어미\)만 다름\): 전라도 사람은 뒤통수를 잘 쳐 / ",
        aids[2].summary_ko(),
    )


def test_jamo_and_stems():
    assert jamo("각") == "\u1100\u1161\u11a8" and jamo("ㅋa") == "ㅋa"
    assert [stem(w) for w in ("사람은", "나라가", "범죄자임", "잘", "트젠들은")] == [
        "사람",
        "나라",
        "범죄자",
        "잘",
        "트젠",
    ]


# Exact duplicates on the managers' vote task (compute_aids and the hint text)

PROMPTS = {p.key: p for p in default_prompts()}
AGE = "age-and-social-status"  # the prompt of SENTENCE


@pytest.mark.parametrize(
    "first_writer, second_writer, who",
    [(7, 8, "다른 작성자"), (7, 7, "같은 작성자")],
    ids=["across writers", "one writer twice"],
)
def test_an_exact_duplicate_is_flagged_with_a_hint_naming_the_earlier_submission(
    first_writer, second_writer, who
):
    aids = compute_aids(
        [
            SubmissionText(11, SENTENCE, AGE, first_writer),
            SubmissionText(12, "다른 이야기: 채식은 개인의 선택이다", "diets", 9),
            SubmissionText(13, SENTENCE, AGE, second_writer),
        ],
        PROMPTS,
    )
    assert aids[11].near_duplicate is None and FLAG_NEAR_DUPLICATE not in aids[11].flags()
    assert FLAG_NEAR_DUPLICATE in aids[13].flags()
    assert aids[13].near_duplicate == NearDuplicate(
        11, SENTENCE, 1.0, same_writer=first_writer == second_writer
    )
    assert f"같은 문장이 이미 있음 (#11, {who}): {SENTENCE[:20]}" in aids[13].summary_ko()
    assert aids[13].as_dict()["near_duplicate"]["earlier_id"] == 11


def test_a_near_duplicate_says_whether_the_writer_is_the_same_only_when_both_are_known():
    edited = SENTENCE.replace("회사에서", "회사애서")
    aids = compute_aids(
        [
            SubmissionText(1, SENTENCE, AGE, 7),
            SubmissionText(2, edited, AGE, 8),
            SubmissionText(3, SENTENCE, AGE),
        ],
        PROMPTS,
    )
    assert aids[2].summary_ko().startswith("비슷한 문장이 이미 있음 (#1, 다른 작성자, 유사도 0.")
    assert aids[3].near_duplicate.same_writer is None
    assert aids[3].summary_ko().startswith("같은 문장이 이미 있음 (#1): ")


@pytest.mark.parametrize(
    "variant",
    [
        "요즘  젊은 사람들은\n회사에서 참을성이 너무 없다고 생각한다 ",  # whitespace runs
        SENTENCE.replace(" ", "\u3000", 2),  # ideographic space
        unicodedata.normalize("NFD", SENTENCE),  # decomposed Hangul
    ],
    ids=["whitespace", "ideographic space", "decomposed Hangul"],
)
def test_every_sentence_the_release_would_hold_back_is_flagged_before_the_vote(variant):
    assert comparison_key(variant) == comparison_key(SENTENCE)
    aids = compute_aids(
        [SubmissionText(1, SENTENCE, AGE, 7), SubmissionText(2, variant, AGE, 8)], PROMPTS
    )
    assert aids[2].near_duplicate is not None and aids[2].near_duplicate.similarity == 1.0
