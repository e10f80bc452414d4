"""Release rows: the APEACH class and age bucket, only accepted sentences, demographics
from the roster, pseudonymous writers, deterministic order. Pure, table-driven."""

from __future__ import annotations

import pytest

from apeach_ls.correction import CorrectedSubmission, Flag
from apeach_ls.labels import Verdict
from apeach_ls.labelstudio.submissions import Submission
from apeach_ls.release.rows import (APEACH_COLUMNS, age_bucket, apeach_class, build_release, release_id,
                                    writer_pseudonym)
from apeach_ls.rewards.roster import Roster, RosterEntry
from apeach_ls.votes.store import StoredTally

SALT = "ledger-secret"
TOPIC = {"prompt_id": "education-0001", "topic": "학력이나 전공에 따라 차별하는 발언", "topic_eng": "Education",
         "guideline": "..."}


@pytest.mark.parametrize("age, bucket", [
    (37, 35), (68, 65), (19, 20), (14, 20), (20, 20), (24, 20), (25, 25), (29, 25), (30, 30), (100, 100),
    (None, None),
])
def test_age_bucket_is_floored_to_five_years_with_under_20_in_20(age, bucket):
    assert age_bucket(age) == bucket


@pytest.mark.parametrize("label, cls", [("hate", "Spoiled"), ("not_hate", "Default")])
def test_class_comes_from_the_corrected_label(label, cls):
    assert apeach_class(label) == cls


def submission(aid: int, text: str = "문장", *, verdict: str | None = "hate", agreement: str | None = "confirm",
               intent: str | None = None, writer: int | None = 7, prompt=TOPIC) -> Submission:
    v = Verdict(verdict, 0.8) if verdict else None  # type: ignore[arg-type]
    fooled = agreement == "flip" and v is not None
    if v is not None:
        label = ({"hate": "not_hate", "not_hate": "hate"}[v.label] if fooled else v.label)
    else:
        label = intent
    flags = frozenset({Flag.NO_VERDICT}) if v is None else frozenset()
    corrected = CorrectedSubmission(text=text, intent=intent or label, verdict=v, agreement=agreement,  # type: ignore[arg-type]
                                    label=label, fooled=fooled, flags=flags)  # type: ignore[arg-type]
    return Submission(annotation_id=aid, task_id=aid + 1000, writer_id=writer, prompt=dict(prompt),
                      created_at=f"2024-05-01T10:{aid:02d}:00Z", lead_time=12.5, corrected=corrected)


def tally(aid: int, outcome: str, reasons=(), keeps: int = 3, drops: int = 0) -> StoredTally:
    return StoredTally(aid, outcome, tuple(reasons), keeps, drops, "2024-05-02T00:00:00+00:00")


ROSTER = Roster([RosterEntry(0, 7, None, "P7", 37, "female"), RosterEntry(0, None, "w8@example.com", "P8", 19, "male"),
                 RosterEntry(0, 9, None, "P9", None, None)])
EMAILS = {7: "w7@example.com", 8: "W8@example.com", 9: "w9@example.com", 10: "w10@example.com"}

# (case, submission, tally outcome, released?, expected APEACH fields)
CASES = [
    ("confirmed hate verdict", submission(1, verdict="hate"), "accepted", True,
     {"class": "Spoiled", "user_age": "37", "age": "35", "user_gender": "female"}),
    ("flipped hate verdict is not hate", submission(2, verdict="hate", agreement="flip"), "accepted", True,
     {"class": "Default"}),
    ("flipped not-hate verdict is hate", submission(3, verdict="not_hate", agreement="flip"), "accepted", True,
     {"class": "Spoiled"}),
    ("no verdict: the writer's intent", submission(4, verdict=None, agreement=None, intent="not_hate"), "accepted",
     True, {"class": "Default"}),
    ("roster found by e-mail, under 20 in 20", submission(5, writer=8), "accepted", True,
     {"user_age": "19", "age": "20", "user_gender": "male"}),
    ("roster without demographics", submission(6, writer=9), "accepted", True,
     {"user_age": "", "age": "", "user_gender": ""}),
    ("writer not on the roster", submission(11, writer=10), "accepted", True, {"user_age": "", "user_gender": ""}),
    ("dropped is excluded", submission(12), "dropped", False, {}),
    ("pending is excluded", submission(13), "pending", False, {}),
    ("no label at all is skipped", submission(14, verdict=None, agreement=None, intent=None), "accepted", False, {}),
]


@pytest.mark.parametrize("case, sub, outcome, released, expected", CASES, ids=[c[0] for c in CASES])
def test_release_row_cases(case, sub, outcome, released, expected):
    build = build_release("c1", [sub], {sub.annotation_id: tally(sub.annotation_id, outcome)}, ROSTER, EMAILS, SALT)
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
    tallies = {30: tally(30, "accepted"), 10: tally(10, "accepted"), 20: tally(20, "dropped", ["copied"], 1, 2),
               40: tally(40, "pending", keeps=1), 50: tally(50, "accepted")}
    build = build_release("c1", reversed(subs), tallies, ROSTER, EMAILS, SALT)
    assert [r.text for r in build.rows] == ["a", "c"]
    assert [(s.submission_id, s.why) for s in build.skipped] == [
        (50, "accepted, but not found in the generation project")]


def test_extended_fields_and_pseudonymous_writer():
    sub = submission(3, "x, \"y\"\nz", verdict="not_hate", agreement="flip")
    [row] = build_release("camp", [sub], {3: tally(3, "accepted", keeps=2, drops=1)}, ROSTER, EMAILS, SALT).rows
    ext = row.extended()
    assert ext["id"] == release_id("camp", 3) == "apeach-ls:camp:3"
    assert ext["text"] == "x, \"y\"\nz" and ext["class"] == "Spoiled" and ext["label"] == "hate"
    assert (ext["verdict"], ext["verdict_score"], ext["agreement"], ext["fooled"]) == ("not_hate", 0.8, "flip", True)
    assert (ext["outcome"], ext["keeps"], ext["drops"], ext["reasons"]) == ("accepted", 2, 1, [])
    assert (ext["prompt_id"], ext["task_id"], ext["lead_time"]) == ("education-0001", 1003, 12.5)
    assert ext["writer"] == writer_pseudonym(SALT, 7) and len(ext["writer"]) == 16
    assert "w7@example.com" not in str(ext) and "P7" not in str(ext)
    assert writer_pseudonym(SALT, 7) != writer_pseudonym("other-ledger", 7)
    assert writer_pseudonym(SALT, None) == ""
