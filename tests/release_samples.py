"""Synthetic release rows and tallies for the export and report tests (no Label Studio)."""

from __future__ import annotations

from datetime import UTC, datetime

from apeach_ls.prompts import default_prompts
from apeach_ls.release.rows import (
    ReleaseRow,
    age_bucket,
    apeach_class,
    release_id,
    writer_pseudonym,
)
from apeach_ls.rounds import FoolingRecord, Round
from apeach_ls.votes.store import StoredTally

TRICKY_TEXTS = [
    'ooo 같은 사람들은, 정말 "최악"이야\n다들 꺼져',  # comma, quotes, newline
    "줄바꿈이\r\n두 종류",  # CRLF inside a field
    "NA",  # pandas' default NA marker
    " 앞뒤 공백 ",
    "이모지 😀 와 탭\t도",
]
WRITERS = [
    (101, 19, "female"),
    (102, 37, "male"),
    (103, 68, "female"),
    (104, None, None),
    (105, 24, "male"),
]


def sample_rows(n: int = 60, campaign: str = "sample") -> list[ReleaseRow]:
    topics = default_prompts()
    rows = []
    for i in range(n):
        prompt = topics[i % len(topics)]
        ls_id, user_age, gender = WRITERS[i % len(WRITERS)]
        label = "hate" if i % 3 else "not_hate"
        fooled = i % 4 == 0
        verdict = ("not_hate" if label == "hate" else "hate") if fooled else label
        text = (
            TRICKY_TEXTS[i]
            if i < len(TRICKY_TEXTS)
            else f"{prompt.topic_eng} 문장 {i} " + "가나다" * (i % 7)
        )
        aid = 1000 + i
        rows.append(
            ReleaseRow(
                text=text,
                user_age=user_age,
                user_gender=gender,
                text_topic=prompt.topic,
                apeach_class=apeach_class(label),
                age=age_bucket(user_age),
                text_topic_eng=prompt.topic_eng,  # type: ignore[arg-type]
                id=release_id(campaign, aid),
                submission_id=aid,
                task_id=aid - 500,
                prompt_id=f"{prompt.key}-{i:04d}",
                writer=writer_pseudonym("salt", ls_id),
                label=label,
                intent=label,
                verdict=verdict,  # type: ignore[arg-type]
                verdict_score=0.5 + (i % 5) / 10,
                agreement="flip" if fooled else "confirm",
                fooled=fooled,
                outcome="accepted",
                keeps=3 - (i % 2),
                drops=i % 2,
                reasons=(),
                flags=("text_changed",) if i == 7 else (),
                created_at=f"2024-05-0{1 + i // 40}T{(i % 24):02d}:{i % 60:02d}:00.{i:06d}Z",
                lead_time=None if i == 3 else 10.0 + i,
            )
        )
    return rows


def sample_tallies(rows: list[ReleaseRow]) -> list[StoredTally]:
    tallies = [
        StoredTally(r.submission_id, "accepted", (), r.keeps, r.drops, "2024-05-03T00:00:00+00:00")
        for r in rows
    ]
    dropped = [
        ("copied",),
        ("private_person",),
        ("off_topic",),
        ("copied", "off_topic"),
        ("other",),
    ]
    tallies += [
        StoredTally(5000 + i, "dropped", reasons, 1, 2, "2024-05-03T00:00:00+00:00")
        for i, reasons in enumerate(dropped)
    ]
    tallies += [
        StoredTally(6000 + i, "pending", (), 1, 0, "2024-05-03T00:00:00+00:00") for i in range(3)
    ]
    return tallies


def fooling_sample() -> tuple[list[FoolingRecord], list[Round]]:
    """Two rounds: r1 4 submitted, 2 fooled (1 verified), 1 dropped; r2 5 submitted, 1 fooled
    and verified."""
    r = [
        Round("r1", datetime(2026, 11, 1, tzinfo=UTC), ("ng-a",)),
        Round("r2", datetime(2026, 11, 9, tzinfo=UTC)),
    ]

    def rec(i, round_, fooled=False, verified=False, dropped=False):
        version = "ng-a" if round_ == "r1" else "ng-b"
        return FoolingRecord(i, round_, "t", f"w{i % 2}", version, fooled, verified, dropped)

    records = [
        rec(1, "r1", True, True),
        rec(2, "r1", True, False, True),
        rec(3, "r1"),
        rec(4, "r1"),
        *[rec(i, "r2", i == 5, i == 5) for i in range(5, 10)],
    ]
    return records, r
