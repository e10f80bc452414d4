"""Inter-manager agreement against textbook examples, and its undefined cases."""

from __future__ import annotations

from collections import Counter

import pytest

from apeach_ls.votes.agreement import (
    count_table,
    counted_agreement,
    decision_agreement,
    fleiss_kappa,
    krippendorff_alpha,
    manager_agreement,
    scores,
    tally_agreement,
)
from apeach_ls.votes.model import REASONS, ManagerVote

# Fleiss (1971) as worked on Wikipedia: 10 items, 14 raters, 5 categories; P = 0.378, Pe = 0.213.
FLEISS_TABLE = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]

# Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011): 4 observers, 12 units,
# missing values as None; nominal alpha = 0.743 (unit 12 has one value and is not pairable).
_ = None
OBSERVERS = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
    [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
]
KRIPPENDORFF_UNITS = [[v for v in unit if v is not None] for unit in zip(*OBSERVERS)]


def test_fleiss_kappa_textbook_example():
    kappa = fleiss_kappa(FLEISS_TABLE)
    assert kappa.value == pytest.approx(0.210, abs=5e-4)
    assert kappa.items == 10


def test_krippendorff_alpha_textbook_example_with_missing_data():
    alpha = krippendorff_alpha(KRIPPENDORFF_UNITS)
    assert alpha.value == pytest.approx(0.743, abs=5e-4)
    assert alpha.items == 11


def test_krippendorff_alpha_hand_computed_binary():
    # coincidences: (a,a)=4, (a,b)=(b,a)=1, (b,b)=0 -> n_a=5, n_b=1, n=6; alpha = 1 - 5*2/(2*5*1) = 0
    units = [["a", "a"], ["a", "a"], ["a", "b"]]
    assert krippendorff_alpha(units).value == pytest.approx(0.0)


def test_perfect_agreement_is_one():
    units = [["keep"] * 3, ["drop"] * 3, ["keep"] * 3]
    result = scores(units, ("keep", "drop"))
    assert result.fleiss_kappa.value == pytest.approx(1.0)
    assert result.krippendorff_alpha.value == pytest.approx(1.0)


@pytest.mark.parametrize(
    "units,note",
    [
        ([["keep"] * 3, ["keep"] * 3], "every rating is in one category"),
        ([], "no item"),
        ([["keep"], ["drop"]], "no item has two ratings"),
    ],
)
def test_undefined_cases_return_none_with_a_reason(units, note):
    result = scores(units, ("keep", "drop"))
    for coefficient in (result.fleiss_kappa, result.krippendorff_alpha):
        assert coefficient.value is None
        assert note in coefficient.note


def test_fleiss_kappa_raw_table_checks():
    assert fleiss_kappa([]).value is None
    assert "fewer than two" in fleiss_kappa([[1, 0], [0, 1]]).note
    with pytest.raises(ValueError, match="same number of ratings"):
        fleiss_kappa([[2, 1], [1, 1]])


def test_kappa_uses_items_with_the_modal_number_of_ratings():
    units = [
        ["keep", "keep", "keep"],
        ["drop", "drop", "drop"],
        ["keep", "drop", "keep"],
        ["keep", "drop"],
        ["drop"],
    ]
    result = scores(units, ("keep", "drop"))
    expected = fleiss_kappa(count_table(units[:3], ("keep", "drop")))
    assert result.fleiss_kappa.value == pytest.approx(expected.value)
    assert result.fleiss_kappa.items == 3
    assert "left out 2 other items" in result.fleiss_kappa.note
    assert result.krippendorff_alpha.items == 4  # the single rating cannot be paired


def test_kappa_modal_tie_prefers_more_ratings():
    units = [["keep", "keep"], ["keep", "drop", "drop"]]
    assert scores(units, ("keep", "drop")).fleiss_kappa.items == 1
    assert "with 3 ratings" in scores(units, ("keep", "drop")).fleiss_kappa.note


def _vote(manager: int, decision: str, *reasons: str) -> ManagerVote:
    return ManagerVote(
        submission_id=0,
        manager=f"m{manager}@example.com",
        decision=decision,  # type: ignore[arg-type]
        reasons=frozenset(reasons),
        note="",
        vote_id=manager,
        updated_at="2024-05-01T10:00:00Z",
    )


def test_manager_agreement_on_decision_and_each_reason():
    items = [
        [_vote(1, "keep"), _vote(2, "keep"), _vote(3, "keep")],
        [
            _vote(1, "drop", "copied"),
            _vote(2, "drop", "copied"),
            _vote(3, "drop", "copied", "off_topic"),
        ],
        [_vote(1, "drop", "off_topic"), _vote(2, "keep"), _vote(3, "drop", "off_topic")],
        [_vote(1, "keep"), _vote(2, "keep"), _vote(3, "keep")],
    ]
    report = manager_agreement(items)
    # decision: the same table as counting keep/drop by hand
    by_hand = fleiss_kappa([[3, 0], [0, 3], [1, 2], [3, 0]])
    assert report.decision.fleiss_kappa.value == pytest.approx(by_hand.value)
    # copied: named by all three on item 2, by nobody elsewhere -> perfect agreement
    assert report.reasons["copied"].fleiss_kappa.value == pytest.approx(1.0)
    assert report.reasons["copied"].krippendorff_alpha.value == pytest.approx(1.0)
    # off_topic: binary table [3,0],[2,1],[1,2],[3,0] (not named, named)
    assert report.reasons["off_topic"].fleiss_kappa.value == pytest.approx(
        fleiss_kappa([[3, 0], [2, 1], [1, 2], [3, 0]]).value
    )
    # nobody named these: undefined, not an error
    for reason in ("private_person", "other"):
        assert report.reasons[reason].fleiss_kappa.value is None
        assert report.reasons[reason].krippendorff_alpha.value is None


@pytest.mark.parametrize(
    "items",
    [
        [["keep", "keep", "keep"], ["drop", "drop", "keep"], ["drop", "keep"], ["keep"]],
        [["drop", "drop"], ["keep", "drop", "drop"], ["keep", "keep", "keep", "drop"], []],
        [["keep", "keep"], ["keep", "keep", "keep"]],  # no variation: undefined, with the note
    ],
)
def test_agreement_from_stored_counts_equals_the_agreement_on_the_votes(items):
    votes = [[_vote(m, d) for m, d in enumerate(item, 1)] for item in items]
    counts = [(item.count("keep"), item.count("drop")) for item in items]
    stored = decision_agreement(counts)
    assert stored.decision == counted_agreement(votes).decision
    assert stored.reasons == {}


@pytest.mark.parametrize(
    "items",
    [
        [
            [("keep",), ("drop", "copied"), ("drop", "copied", "off_topic")],
            [("drop", "off_topic"), ("keep",), ("drop", "off_topic")],
            [("drop", "private_person"), ("drop", "copied")],
            [("keep",)],  # one vote: cannot pair
            [],  # pending without votes
        ],
        [[("drop", "other"), ("drop", "other")], [("keep",), ("keep",), ("drop", "copied")]],
    ],
)
def test_agreement_per_reason_from_stored_counts_equals_the_agreement_on_the_votes(items):
    votes = [[_vote(m, *vote) for m, vote in enumerate(item, 1)] for item in items]
    stored = [
        (
            sum(1 for v in item if v.decision == "keep"),
            sum(1 for v in item if v.decision == "drop"),
            dict(Counter(r for v in item if v.decision == "drop" for r in v.reasons)),
        )
        for item in votes
    ]
    on_votes = counted_agreement(votes)
    from_counts = tally_agreement(stored)
    assert from_counts == on_votes
    assert set(from_counts.reasons) == set(REASONS)
    assert any(s.krippendorff_alpha.value is not None for s in from_counts.reasons.values())


def test_tallies_stored_without_reason_counts_give_no_per_reason_agreement():
    stored = [(2, 1, {"copied": 1}), (0, 3, None)]
    agreement = tally_agreement(stored)
    assert agreement.reasons == {}
    assert agreement.decision == decision_agreement([(2, 1), (0, 3)]).decision
