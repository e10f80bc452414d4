"""Near-duplicates inside a campaign, and exact duplicates flagged on the managers' vote task."""

from __future__ import annotations

import random
import time
import unicodedata

import pytest

from apeach_ls.aids import FLAG_NEAR_DUPLICATE, SubmissionText, compute_aids
from apeach_ls.aids.near_duplicates import NearDuplicate, find_near_duplicates
from apeach_ls.aids.shingles import normalize, shingles
from apeach_ls.prompts import default_prompts
from apeach_ls.release.consistency import comparison_key

SENTENCE = "요즘 젊은 사람들은 회사에서 참을성이 너무 없다고 생각한다"


def test_same_text_after_normalization_points_at_the_first():
    found = find_near_duplicates([
        (1, SENTENCE),
        (2, "전혀 다른 문장입니다 채식은 좋아요"),
        (3, "요즘  젊은 사람들은, 회사에서 참을성이 너무 없다고 생각한다!!"),
        (4, SENTENCE + " ㅋ"[:0]),
    ])
    assert found == {3: NearDuplicate(1, SENTENCE, 1.0), 4: NearDuplicate(1, SENTENCE, 1.0)}


def test_case_width_and_emoji_do_not_hide_a_copy():
    found = find_near_duplicates([(1, "BTS 팬들은 다 10대 여자애들이다"), (2, "ｂｔｓ팬들은 다 １０대 여자애들이다 😀")])
    assert found[2].earlier_id == 1 and found[2].similarity == 1.0


def test_one_changed_character_is_almost_the_same():
    edited = SENTENCE.replace("회사에서", "회사애서")
    found = find_near_duplicates([(10, SENTENCE), (11, edited)])
    assert found[11].earlier_id == 10
    assert 0.8 <= found[11].similarity < 1.0


def test_different_sentences_are_not_duplicates():
    found = find_near_duplicates([
        (1, SENTENCE),
        (2, "요즘 나이 든 사람들은 회사에서 고집이 너무 세다"),
        (3, "채식주의자는 고기를 먹는 사람을 무시한다"),
    ])
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
    assert find_near_duplicates([(1, "별로"), (2, "별로!"), (3, "별로야")]) == {2: NearDuplicate(1, "별로", 1.0)}


@pytest.mark.parametrize("threshold", [0, 1.5, -0.1])
def test_threshold_is_checked(threshold):
    with pytest.raises(ValueError, match="threshold"):
        find_near_duplicates([(1, "a")], threshold)


def _brute_force(items, threshold):
    sets = [shingles(normalize(text), 2) for _, text in items]
    norms = [normalize(text) for _, text in items]
    found = {}
    for i, (sid, _) in enumerate(items):
        best = None
        for j in range(i):
            if not norms[i] or not norms[j]:
                continue
            sim = 1.0 if norms[i] == norms[j] else len(sets[i] & sets[j]) / len(sets[i] | sets[j])
            if sim >= threshold and (best is None or sim > best[0]):
                best = (sim, j)
        if best:
            found[sid] = best[1]
    return found


def test_same_result_as_comparing_every_pair(beep_dir):
    """Prefix filtering is exact: no pair reaching the threshold is missed."""
    lines = (beep_dir / "unlabeled_comments_5.txt").read_text(encoding="utf-8").splitlines()
    rng = random.Random(5)
    items = [(i, line) for i, line in enumerate(rng.sample(lines, 400))]
    items += [(1000 + i, text.replace(text[len(text) // 2], "ㅋ", 1)) for i, (_, text) in enumerate(items[:60])]
    for threshold in (0.5, 0.8):
        found = find_near_duplicates(items, threshold)
        expected = _brute_force(items, threshold)
        assert set(found) == set(expected)
        by_id = {sid: position for position, (sid, _) in enumerate(items)}
        for sid, duplicate in found.items():
            # Ties may pick another earlier submission with the same similarity.
            assert by_id[duplicate.earlier_id] < by_id[sid]


def test_ten_thousand_submissions_are_fast(beep_dir):
    lines = (beep_dir / "unlabeled_comments_5.txt").read_text(encoding="utf-8").splitlines()[:10_000]
    started = time.process_time()
    found = find_near_duplicates(list(enumerate(lines)))
    assert time.process_time() - started < 5
    assert found  # the crawl holds repeated comments


# Exact duplicates on the managers' vote task (compute_aids and the hint text)

PROMPTS = {p.key: p for p in default_prompts()}
AGE = "age-and-social-status"  # the prompt of SENTENCE


@pytest.mark.parametrize("first_writer, second_writer, who", [(7, 8, "다른 작성자"), (7, 7, "같은 작성자")],
                         ids=["across writers", "one writer twice"])
def test_an_exact_duplicate_is_flagged_with_a_hint_naming_the_earlier_submission(first_writer, second_writer, who):
    aids = compute_aids([SubmissionText(11, SENTENCE, AGE, first_writer),
                         SubmissionText(12, "다른 이야기: 채식은 개인의 선택이다", "diets", 9),
                         SubmissionText(13, SENTENCE, AGE, second_writer)], PROMPTS)
    assert aids[11].near_duplicate is None and FLAG_NEAR_DUPLICATE not in aids[11].flags()
    assert FLAG_NEAR_DUPLICATE in aids[13].flags()
    assert aids[13].near_duplicate == NearDuplicate(11, SENTENCE, 1.0, same_writer=first_writer == second_writer)
    assert f"같은 문장이 이미 있음 (#11, {who}): {SENTENCE[:20]}" in aids[13].summary_ko()
    assert aids[13].as_dict()["near_duplicate"]["earlier_id"] == 11


def test_a_near_duplicate_says_whether_the_writer_is_the_same_only_when_both_are_known():
    edited = SENTENCE.replace("회사에서", "회사애서")
    aids = compute_aids([SubmissionText(1, SENTENCE, AGE, 7), SubmissionText(2, edited, AGE, 8),
                         SubmissionText(3, SENTENCE, AGE)], PROMPTS)
    assert aids[2].summary_ko().startswith("비슷한 문장이 이미 있음 (#1, 다른 작성자, 유사도 0.")
    assert aids[3].near_duplicate.same_writer is None
    assert aids[3].summary_ko().startswith("같은 문장이 이미 있음 (#1): ")


@pytest.mark.parametrize("variant", [
    "요즘  젊은 사람들은\n회사에서 참을성이 너무 없다고 생각한다 ",  # whitespace runs
    SENTENCE.replace(" ", "\u3000", 2),  # ideographic space
    unicodedata.normalize("NFD", SENTENCE),  # decomposed Hangul
], ids=["whitespace", "ideographic space", "decomposed Hangul"])
def test_every_sentence_the_release_would_hold_back_is_flagged_before_the_vote(variant):
    assert comparison_key(variant) == comparison_key(SENTENCE)
    aids = compute_aids([SubmissionText(1, SENTENCE, AGE, 7), SubmissionText(2, variant, AGE, 8)], PROMPTS)
    assert aids[2].near_duplicate is not None and aids[2].near_duplicate.similarity == 1.0
