"""What a payout leaves unpaid: repeated sentences and submissions gone from Label Studio."""

from __future__ import annotations

from apeach_ls.rewards.repeats import repeats, vanished


def test_a_sentence_accepted_again_is_paid_once_to_its_earliest_submission():
    accepted = [
        (12, "같은 문장을  두 사람이 썼다 "),
        (5, "같은 문장을 두 사람이 썼다"),
        (7, "다른 문장"),
        (20, "같은 문장을 두 사람이 썼다"),
        (9, "다른 문장!"),
    ]
    assert repeats(accepted) == {12: 5, 20: 5}


def test_submissions_that_earned_and_are_gone_are_named_with_their_writers():
    assert vanished({3: 70, 4: 71, 5: 70}, present=[4, 6]) == {3: 70, 5: 70}
    assert vanished({}, present=[1]) == {}


def test_a_copy_with_invisible_characters_is_still_a_repeat():
    base = "여자는 운전을 못한다 진짜로"
    copies = [
        "여자는 \u200b운전을 못한다 진짜로",
        base + "\u2060",
        base + "\u3164",
        base + "\u00ad",
        "\ufeff" + base,
        base + "\ufe0f",
        base + "\U000e0020",
        base + "\u115f",
    ]
    accepted = [(1, base)] + [(n, text) for n, text in enumerate(copies, start=2)]
    assert repeats(accepted) == {n: 1 for n in range(2, len(copies) + 2)}
    assert repeats([(1, base), (2, base + "?")]) == {}  # punctuation still counts
