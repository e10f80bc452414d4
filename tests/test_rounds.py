"""Rounds and fooling metrics (MER, vMER): pure logic."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from apeach_ls.rounds import DEFAULT_ROUND, FoolingRecord, Round, fooling_metrics, round_of

R1 = Round("r1", datetime(2026, 11, 1, tzinfo=UTC), ("ngram-a",))
R2 = Round("r2", datetime(2026, 11, 10, tzinfo=UTC), ("ngram-b",))


@pytest.mark.parametrize(
    "created_at,expected",
    [
        ("2026-11-05T10:00:00Z", "r1"),
        ("2026-11-10T00:00:00Z", "r2"),
        ("2026-11-09T23:59:59.999+00:00", "r1"),
        ("2026-11-10T08:30:00+09:00", "r1"),  # 2026-11-09T23:30 UTC
        ("2026-10-01T00:00:00Z", "r1"),  # before the first round: the first round
        ("", "r1"),
        ("not a time", "r1"),
        ("2026-12-01T00:00:00", "r2"),  # naive means UTC
    ],
)
def test_a_submission_belongs_to_the_latest_round_started_by_then(created_at, expected):
    assert round_of(created_at, [R2, R1]) == expected


def test_a_campaign_without_rounds_has_one():
    assert round_of("2026-11-05T10:00:00Z", []) == DEFAULT_ROUND


def record(
    i,
    round_="r1",
    fooled=False,
    verified=False,
    dropped=False,
    writer="w1",
    topic="t",
    version="v1",
):
    return FoolingRecord(i, round_, topic, writer, version, fooled, verified, dropped)


def test_mer_and_vmer_per_round_are_counted_by_hand():
    records = [
        record(1, fooled=True, verified=True),
        record(2, fooled=True),
        record(3),
        record(4, dropped=True),
        record(5, "r2", fooled=True, verified=True),
        record(6, "r2"),
        record(7, "r2"),
        record(8, "r2"),
        record(9, "r2", verified=True),
    ]  # verified but not fooled: not a verified fooling
    by_round = fooling_metrics(records, "round")
    assert list(by_round) == ["r1", "r2"]
    r1, r2 = by_round["r1"], by_round["r2"]
    assert (r1.submitted, r1.fooled, r1.verified_fooled, r1.dropped) == (4, 2, 1, 1)
    assert (r1.mer, r1.vmer) == (0.5, 0.25)
    assert (r2.submitted, r2.fooled, r2.verified_fooled, r2.dropped) == (5, 1, 1, 0)
    assert (r2.mer, r2.vmer) == (0.2, 0.2) and r2.submissions == [5, 6, 7, 8, 9]


@pytest.mark.parametrize("by,key", [("topic", "t2"), ("writer", "w2"), ("model_version", "v2")])
def test_figures_by_topic_writer_and_model_version(by, key):
    records = [
        record(1, fooled=True),
        record(2, fooled=True, writer="w2", topic="t2", version="v2"),
    ]
    counts = fooling_metrics(records, by)
    assert counts[key].submitted == 1 and counts[key].mer == 1.0 and len(counts) == 2


def test_an_unknown_dimension_is_refused():
    with pytest.raises(ValueError, match="unknown dimension 'day'"):
        fooling_metrics([], "day")  # type: ignore[arg-type]
