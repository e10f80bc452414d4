"""Release rows: the APEACH class and age bucket, only accepted sentences, demographics
from the roster, pseudonymous writers, deterministic order. Pure, table-driven."""

from __future__ import annotations

import unicodedata

import pytest

from apeach_ls.correction import CorrectedSubmission, Flag
from apeach_ls.labels import Verdict
from apeach_ls.labelstudio.submissions import Submission
from apeach_ls.release.consistency import comparison_key
from apeach_ls.release.rows import (
    APEACH_COLUMNS,
    age_bucket,
    apeach_class,
    build_release,
    release_id,
    release_row,
    writer_pseudonym,
)
from apeach_ls.rewards.roster import Roster, RosterEntry
from apeach_ls.votes.store import StoredTally

SALT = "ledger-secret"
TOPIC = {
    "prompt_id": "education-0001",
    "topic": "학력이나 전공에 따라 차별하는 발언",
    "topic_eng": "Education",
    "guideline": "...",
}


@pytest.mark.parametrize(
    "age, bucket",
    [
        (37, 35),
        (68, 65),
        (19, 20),
        (14, 20),
        (20, 20),
        (24, 20),
        (25, 25),
        (29, 25),
        (30, 30),
        (100, 100),
        (None, None),
    ],
)
def test_age_bucket_is_floored_to_five_years_with_under_20_in_20(age, bucket):
    assert age_bucket(age) == bucket


@pytest.mark.parametrize("label, cls", [("hate", "Spoiled"), ("not_hate", "Default")])
def test_class_comes_from_the_corrected_label(label, cls):
    assert apeach_class(label) == cls


def submission(
    aid: int,
    text: str = "문장",
    *,
    verdict: str | None = "hate",
    agreement: str | None = "confirm",
    intent: str | None = None,
    writer: int | None = 7,
    prompt=TOPIC,
) -> Submission:
    v = Verdict(verdict, 0.8) if verdict else None  # type: ignore[arg-type]
    fooled = agreement == "flip" and v is not None
    if v is not None:
        label = {"hate": "not_hate", "not_hate": "hate"}[v.label] if fooled else v.label
    else:
        label = intent
    flags = frozenset({Flag.NO_VERDICT}) if v is None else frozenset()
    corrected = CorrectedSubmission(
        text=text,
        intent=intent or label,
        verdict=v,
        agreement=agreement,  # type: ignore[arg-type]
        label=label,
        fooled=fooled,
        flags=flags,
    )  # type: ignore[arg-type]
    return Submission(
        submission_id=aid,
        task_id=aid + 1000,
        writer_id=writer,
        prompt=dict(prompt),
        created_at=f"2024-05-01T10:{aid:02d}:00Z",
        lead_time=12.5,
        corrected=corrected,
    )


def tally(aid: int, outcome: str, reasons=(), keeps: int = 3, drops: int = 0) -> StoredTally:
    return StoredTally(aid, outcome, tuple(reasons), keeps, drops, "2024-05-02T00:00:00+00:00")


ROSTER = Roster(
    [
        RosterEntry(0, 7, None, "P7", 37, "female"),
        RosterEntry(0, None, "w8@example.com", "P8", 19, "male"),
        RosterEntry(0, 9, None, "P9", None, None),
    ]
)
EMAILS = {7: "w7@example.com", 8: "W8@example.com", 9: "w9@example.com", 10: "w10@example.com"}

# (case, submission, tally outcome, released?, expected APEACH fields)
CASES = [
    (
        "confirmed hate verdict",
        submission(1, verdict="hate"),
        "accepted",
        True,
        {"class": "Spoiled", "user_age": "37", "age": "35", "user_gender": "female"},
    ),
    (
        "flipped hate verdict is not hate",
        submission(2, verdict="hate", agreement="flip"),
        "accepted",
        True,
        {"class": "Default"},
    ),
    (
        "flipped not-hate verdict is hate",
        submission(3, verdict="not_hate", agreement="flip"),
        "accepted",
        True,
        {"class": "Spoiled"},
    ),
    (
        "no verdict: the writer's intent",
        submission(4, verdict=None, agreement=None, intent="not_hate"),
        "accepted",
        True,
        {"class": "Default"},
    ),
    (
        "roster found by e-mail, under 20 in 20",
        submission(5, writer=8),
        "accepted",
        True,
        {"user_age": "19", "age": "20", "user_gender": "male"},
    ),
    (
        "roster without demographics",
        submission(6, writer=9),
        "accepted",
        True,
        {"user_age": "", "age": "", "user_gender": ""},
    ),
    (
        "writer not on the roster",
        submission(11, writer=10),
        "accepted",
        True,
        {"user_age": "", "user_gender": ""},
    ),
    ("dropped is excluded", submission(12), "dropped", False, {}),
    ("pending is excluded", submission(13), "pending", False, {}),
    (
        "no label at all is skipped",
        submission(14, verdict=None, agreement=None, intent=None),
        "accepted",
        False,
        {},
    ),
]


@pytest.mark.parametrize("case, sub, outcome, released, expected", CASES, ids=[c[0] for c in CASES])
def test_release_row_cases(case, sub, outcome, released, expected):
    build = build_release(
        "c1", [sub], {sub.submission_id: tally(sub.submission_id, outcome)}, ROSTER, EMAILS, SALT
    )
    if not released:
        assert build.rows == ()
        return
    [row] = build.rows
    fields = row.apeach()
    assert list(fields) == list(APEACH_COLUMNS)
    for key, value in expected.items():
        assert fields[key] == value, key
    assert fields["text_topic"] == TOPIC["topic"] and fields["text_topic_eng"] == "Education"


def test_only_accepted_in_annotation_id_order_with_skips_listed():
    subs = [submission(30, "c"), submission(10, "a"), submission(20, "b"), submission(40, "d")]
    tallies = {
        30: tally(30, "accepted"),
        10: tally(10, "accepted"),
        20: tally(20, "dropped", ["copied"], 1, 2),
        40: tally(40, "pending", keeps=1),
        50: tally(50, "accepted"),
    }
    build = build_release("c1", reversed(subs), tallies, ROSTER, EMAILS, SALT)
    assert [r.text for r in build.rows] == ["a", "c"]
    assert [(s.submission_id, s.why) for s in build.skipped] == [
        (50, "accepted, but not found in the generation project")
    ]


def test_extended_fields_and_pseudonymous_writer():
    sub = submission(3, 'x, "y"\nz', verdict="not_hate", agreement="flip")
    [row] = build_release(
        "camp", [sub], {3: tally(3, "accepted", keeps=2, drops=1)}, ROSTER, EMAILS, SALT
    ).rows
    ext = row.extended()
    assert ext["id"] == release_id("camp", 3) == "apeach-ls:camp:3"
    assert ext["text"] == 'x, "y"\nz' and ext["class"] == "Spoiled" and ext["label"] == "hate"
    assert (ext["verdict"], ext["verdict_score"], ext["agreement"], ext["fooled"]) == (
        "not_hate",
        0.8,
        "flip",
        True,
    )
    assert (ext["outcome"], ext["keeps"], ext["drops"], ext["reasons"]) == ("accepted", 2, 1, [])
    assert (ext["prompt_id"], ext["task_id"], ext["lead_time"]) == ("education-0001", 1003, 12.5)
    assert ext["writer"] == writer_pseudonym(SALT, 7) and len(ext["writer"]) == 16
    assert "w7@example.com" not in str(ext) and "P7" not in str(ext)
    assert writer_pseudonym(SALT, 7) != writer_pseudonym("other-ledger", 7)
    assert writer_pseudonym(SALT, None) == ""


def accepted(*subs: Submission) -> dict[int, StoredTally]:
    return {s.submission_id: tally(s.submission_id, "accepted") for s in subs}


def held_back(build) -> list[tuple[int, str, tuple[int, ...], str]]:
    return [(h.submission_id, h.kind, h.same_as, h.why) for h in build.held_back]


def test_the_same_sentence_with_two_classes_is_held_back_entirely():
    """Issue 11, case 4: one sentence, written twice, released once as Spoiled and once as Default."""
    hate = submission(12, "여자들은 원래 다 그래", verdict="hate", writer=7)
    not_hate = submission(15, "여자들은 원래 다 그래", verdict="not_hate", writer=8)
    other = submission(20, "전혀 다른 문장")
    build = build_release(
        "c1", [other, not_hate, hate], accepted(hate, not_hate, other), ROSTER, EMAILS, SALT
    )
    assert [r.submission_id for r in build.rows] == [20]
    assert held_back(build) == [
        (12, "conflict", (15,), "conflict: same sentence as submission 15 with class Default"),
        (15, "conflict", (12,), "conflict: same sentence as submission 12 with class Spoiled"),
    ]
    assert [(h.text, h.apeach_class) for h in build.held_back] == [
        ("여자들은 원래 다 그래", "Spoiled"),
        ("여자들은 원래 다 그래", "Default"),
    ]
    assert build.skipped == ()


def test_one_writer_writing_a_sentence_twice_with_two_classes_is_a_conflict_too():
    first = submission(3, "문장", verdict="hate", agreement="flip", writer=7)  # Default
    second = submission(4, "문장", verdict="hate", agreement="confirm", writer=7)  # Spoiled
    build = build_release("c1", [first, second], accepted(first, second), ROSTER, EMAILS, SALT)
    assert build.rows == () and [h.kind for h in build.held_back] == ["conflict", "conflict"]


def test_a_conflict_names_every_other_submission_by_class():
    subs = [
        submission(1, "문장", verdict="hate"),
        submission(2, "문장", verdict="hate"),
        submission(3, "문장", verdict="not_hate"),
        submission(4, "문장", verdict="not_hate"),
    ]
    build = build_release("c1", subs, accepted(*subs), ROSTER, EMAILS, SALT)
    assert build.rows == ()
    assert held_back(build) == [
        (
            1,
            "conflict",
            (2, 3, 4),
            "conflict: same sentence as submissions 3, 4 with class Default and "
            "submission 2 with class Spoiled",
        ),
        (
            2,
            "conflict",
            (1, 3, 4),
            "conflict: same sentence as submissions 3, 4 with class Default and "
            "submission 1 with class Spoiled",
        ),
        (
            3,
            "conflict",
            (1, 2, 4),
            "conflict: same sentence as submissions 1, 2 with class Spoiled and "
            "submission 4 with class Default",
        ),
        (
            4,
            "conflict",
            (1, 2, 3),
            "conflict: same sentence as submissions 1, 2 with class Spoiled and "
            "submission 3 with class Default",
        ),
    ]


def test_the_same_sentence_and_class_is_released_once_from_the_earliest_submission():
    subs = [
        submission(31, "같은 문장", writer=8),
        submission(9, "같은 문장", writer=7),
        submission(17, "같은 문장", writer=7),
        submission(5, "다른 문장"),
    ]
    build = build_release("c1", subs, accepted(*subs), ROSTER, EMAILS, SALT)
    assert [(r.submission_id, r.text) for r in build.rows] == [(5, "다른 문장"), (9, "같은 문장")]
    assert held_back(build) == [
        (
            17,
            "duplicate",
            (9, 31),
            "duplicate: same sentence and class as submission 9, which is released",
        ),
        (
            31,
            "duplicate",
            (9, 17),
            "duplicate: same sentence and class as submission 9, which is released",
        ),
    ]


def test_only_accepted_sentences_are_compared():
    kept, dropped, pending = (
        submission(1, "문장"),
        submission(2, "문장", verdict="not_hate"),
        submission(3, "문장"),
    )
    tallies = {
        1: tally(1, "accepted"),
        2: tally(2, "dropped", ["copied"], 1, 2),
        3: tally(3, "pending"),
    }
    build = build_release("c1", [kept, dropped, pending], tallies, ROSTER, EMAILS, SALT)
    assert [r.submission_id for r in build.rows] == [1] and build.held_back == ()


# (case, first text, second text, the same sentence?)
NORMALIZATION = [
    ("extra spaces inside", "여자들은  원래   다 그래", "여자들은 원래 다 그래", True),
    ("leading and trailing whitespace", "  여자들은 원래 다 그래\n", "여자들은 원래 다 그래", True),
    ("tabs and newlines are whitespace", "여자들은\t원래\n다 그래", "여자들은 원래 다 그래", True),
    ("ideographic space", "여자들은\u3000원래 다 그래", "여자들은 원래 다 그래", True),
    ("full-width letters and digits", "ＢＴＳ 팬은 다 １０대", "BTS 팬은 다 10대", True),
    (
        "decomposed Hangul",
        unicodedata.normalize("NFD", "여자들은 원래 다 그래"),
        "여자들은 원래 다 그래",
        True,
    ),
    ("compatibility jamo compose as in NFKC", "진짜 ㅋㅜ", "진짜 쿠", True),
    (
        "a space between words is not nothing",
        "여자들은원래 다 그래",
        "여자들은 원래 다 그래",
        False,
    ),
    ("letter case counts", "bts 팬은 다 10대", "BTS 팬은 다 10대", False),
    ("trailing punctuation counts", "여자들은 원래 다 그래?", "여자들은 원래 다 그래", False),
    ("emoji count", "여자들은 원래 다 그래 😀", "여자들은 원래 다 그래", False),
]


@pytest.mark.parametrize(
    "case, first, second, same", NORMALIZATION, ids=[c[0] for c in NORMALIZATION]
)
def test_sentences_are_compared_after_nfkc_and_whitespace_normalization(case, first, second, same):
    assert (comparison_key(first) == comparison_key(second)) is same
    subs = [submission(1, first, verdict="hate"), submission(2, second, verdict="not_hate")]
    build = build_release("c1", subs, accepted(*subs), ROSTER, EMAILS, SALT)
    if same:
        assert build.rows == () and [h.text for h in build.held_back] == [
            first,
            second,
        ]  # as written
    else:
        assert [r.text for r in build.rows] == [first, second] and build.held_back == ()


def test_a_released_duplicate_keeps_its_text_byte_for_byte():
    first, second = submission(1, " ＢＴＳ  팬은\n"), submission(2, "BTS 팬은")
    build = build_release("c1", [first, second], accepted(first, second), ROSTER, EMAILS, SALT)
    assert [r.text for r in build.rows] == [" ＢＴＳ  팬은\n"] and build.held_back[
        0
    ].submission_id == 2


def test_a_set_without_repeats_is_released_as_before():
    subs = [
        submission(i, f"문장 {i}", verdict="hate" if i % 2 else "not_hate", writer=7 + i % 3)
        for i in range(1, 30)
    ]
    build = build_release("c1", subs, accepted(*subs), ROSTER, EMAILS, SALT)
    assert build.held_back == ()
    assert build.rows == tuple(
        release_row("c1", s, tally(s.submission_id, "accepted"), ROSTER, EMAILS, SALT) for s in subs
    )
