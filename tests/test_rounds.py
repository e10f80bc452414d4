"""Rounds and fooling metrics (MER, vMER): pure logic."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from verdicts import context, generation_result, receipt, receipt_item

from apeach_ls.correction import correct
from apeach_ls.labelstudio.submissions import Submission
from apeach_ls.rounds import (
    CAMPAIGN_START,
    DEFAULT_ROUND,
    FoolingRecord,
    Round,
    RoundError,
    fooling_metrics,
    fooling_records,
    metric_rows,
    metrics_by_round,
    pin_model,
    round_of,
    start_round,
)

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


# --- starting and pinning rounds ---------------------------------------------------------

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_the_first_named_round_keeps_earlier_submissions_in_round_1():
    first = start_round([], "r2", AT)
    assert [(r.name, r.started_at) for r in first] == [
        (DEFAULT_ROUND, CAMPAIGN_START),
        ("r2", AT),
    ]
    assert round_of("2026-11-30T00:00:00Z", first) == DEFAULT_ROUND
    assert round_of("2026-12-01T09:00:01Z", first) == "r2"
    assert [r.name for r in start_round([], DEFAULT_ROUND, AT)] == [DEFAULT_ROUND]


@pytest.mark.parametrize(
    "name,at,message",
    [
        ("r1", datetime(2026, 12, 2, tzinfo=UTC), "round 'r1' was already started"),
        ("r3", datetime(2026, 11, 5, tzinfo=UTC), "not after round 'r2'"),
        ("r3", datetime(2026, 11, 10, tzinfo=UTC), "not after round 'r2'"),  # the same time
        ("round 3", datetime(2026, 12, 2, tzinfo=UTC), "round name 'round 3' is not allowed"),
        ("", datetime(2026, 12, 2, tzinfo=UTC), "round name '' is not allowed"),
        ("all", datetime(2026, 12, 2, tzinfo=UTC), "round name 'all' is not allowed"),
        ("ALL", datetime(2026, 12, 2, tzinfo=UTC), "round name 'ALL' is not allowed"),
        ("R2", datetime(2026, 12, 2, tzinfo=UTC), "round 'R2' is round 'r2', started at"),
    ],
)
def test_a_round_that_exists_or_does_not_follow_the_last_is_refused(name, at, message):
    with pytest.raises(RoundError, match=message):
        start_round([R1, R2], name, at)


def test_pinning_adds_a_model_version_once():
    pinned = pin_model([R1, R2], "r2", "ngram-c")
    assert pinned == Round("r2", R2.started_at, ("ngram-b", "ngram-c"))
    assert pin_model([R1, pinned], "r2", "ngram-c") == pinned
    assert pin_model([], DEFAULT_ROUND, "v0") == Round(DEFAULT_ROUND, CAMPAIGN_START, ("v0",))
    with pytest.raises(RoundError, match=r"no round 'r9' in this campaign \(rounds: r1, r2\)"):
        pin_model([R1, R2], "r9", "v")
    with pytest.raises(RoundError, match="'a b' is not a model version"):
        pin_model([R1, R2], "r1", "a b")


# --- records from submissions ------------------------------------------------------------


def corrected(text, shown, agreement, version, task_id=1, issued_at=1_790_000_000):
    items = generation_result(text, None, (shown, 0.8), agreement, signed=False)
    items.append(
        receipt_item(
            receipt(text, shown, 0.8, task_id=task_id, model_version=version, issued_at=issued_at)
        )
    )
    return correct(items, receipts=context(task_id=task_id))


def submission(
    aid, created_at, agreement="confirm", version="ngram-a", topic="교육", verdict_at=None
):
    """A submission whose verdict was given a minute before it was made (or at ``verdict_at``)."""
    made = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    issued = int((verdict_at or made).timestamp()) - (0 if verdict_at else 60)
    return Submission(
        submission_id=aid,
        task_id=1,
        writer_id=aid % 2,
        prompt={"topic": topic},
        created_at=created_at,
        lead_time=None,
        corrected=corrected(f"문장 {aid}", "hate", agreement, version, issued_at=issued),
    )


def test_a_verdict_from_an_earlier_round_counts_in_that_round():
    """A writer who kept round 1's verdict (an easier model) and submits it after round 2
    started fooled round 1's model: it must not raise round 2's MER. A sentence made in
    round 1 and given a new verdict in round 2 (edited) fooled round 2's model."""
    kept = submission(
        1, "2026-11-12T00:00:00Z", "flip", "ngram-a", verdict_at=datetime(2026, 11, 9, tzinfo=UTC)
    )
    edited = submission(
        2, "2026-11-05T00:00:00Z", "flip", "ngram-b", verdict_at=datetime(2026, 11, 11, tzinfo=UTC)
    )
    records = fooling_records([kept, edited], {}, [R1, R2], str)
    assert [(r.submission_id, r.round, r.model_version) for r in records] == [
        (1, "r1", "ngram-a"),
        (2, "r2", "ngram-b"),
    ]


def test_records_know_their_round_model_version_and_verification():
    subs = [
        submission(4, "2026-11-12T00:00:00Z", "flip", "ngram-b"),
        submission(1, "2026-11-02T00:00:00Z", "flip"),
        submission(2, "2026-11-03T00:00:00Z", "flip"),
        submission(3, "2026-11-04T00:00:00Z"),
        submission(5, "2026-11-13T00:00:00Z", "flip", "ngram-b"),
    ]
    unverified = replace(
        subs[0],
        submission_id=6,
        corrected=correct(
            generation_result("위조", None, ("hate", 0.9), "flip", signed=False), receipts=context()
        ),
    )
    outcomes = {1: "accepted", 2: "dropped", 3: "accepted", 4: "pending", 5: "accepted"}
    records = fooling_records([*subs, unverified], outcomes, [R2, R1], lambda s: f"w{s.writer_id}")
    assert [
        (r.submission_id, r.round, r.model_version, r.fooled, r.verified, r.dropped)
        for r in records
    ] == [
        (1, "r1", "ngram-a", True, True, False),
        (2, "r1", "ngram-a", True, False, True),
        (3, "r1", "ngram-a", False, False, False),
        (4, "r2", "ngram-b", True, False, False),  # pending: not verified yet
        (5, "r2", "ngram-b", True, True, False),
        (6, "r2", "", False, False, False),  # a verdict without a valid receipt never fools
    ]
    # with validation: its outcome verifies, the managers' drop still counts
    validated = fooling_records(
        [*subs, unverified],
        outcomes,
        [R1, R2],
        str,
        verified_by_validation={1: False, 2: True, 4: True},
    )
    assert [r.submission_id for r in validated if r.verified] == [4]


def test_metrics_by_round_list_every_named_round_in_order_and_rows_end_with_all():
    rounds = [
        Round(DEFAULT_ROUND, CAMPAIGN_START),
        R1,
        R2,
        Round("r3", datetime(2026, 12, 1, tzinfo=UTC)),
    ]
    records = [record(1, "r2", fooled=True, verified=True), record(2, "r1"), record(3, "r2")]
    counts = metrics_by_round(records, rounds)
    assert list(counts) == ["r1", "r2", "r3"]  # the implicit round-1 had nothing: left out
    assert metric_rows(counts) == [
        ("r1", 1, 0, "0.0%", 0, "0.0%", 0),
        ("r2", 2, 1, "50.0%", 1, "50.0%", 0),
        ("r3", 0, 0, "n/a", 0, "n/a", 0),
        ("all", 3, 1, "33.3%", 1, "33.3%", 0),
    ]
    assert list(metrics_by_round([record(1, DEFAULT_ROUND)], [])) == [DEFAULT_ROUND]
