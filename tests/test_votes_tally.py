"""The tally of the managers' votes: each documented rule, table-driven."""

from __future__ import annotations

import pytest

from apeach_ls.votes.model import (
    ACCEPTED,
    ANY_DROP,
    BEYOND_K,
    CANCELLED,
    CHANGED_BY_OTHER,
    DROPPED,
    MAJORITY,
    NOT_A_MANAGER,
    NOT_OWN_PROJECT,
    OWN_SENTENCE,
    PENDING,
    SUPERSEDED,
    ManagerVote,
)
from apeach_ls.votes.tally import drop_reasons, tally

MANAGERS = {"m1@example.com", "m2@example.com", "m3@example.com", "m4@example.com"}
SID = 7


def vote(
    manager: str,
    decision: str,
    *reasons: str,
    vid: int,
    at: str = "2024-05-01T10:00:00Z",
    cancelled: bool = False,
    sid: int = SID,
    by: str | None = "",
    box: str | None = "",
    shown=None,
) -> ManagerVote:
    """``manager``'s vote, cast by ``manager`` in their own vote project unless ``by`` names
    another account or ``box`` another manager's project (None: not recorded)."""

    def email(name: str | None) -> str | None:
        return f"{name or manager}@example.com" if name is not None else None

    return ManagerVote(
        submission_id=sid,
        manager=f"{manager}@example.com",
        decision=decision,  # type: ignore[arg-type]
        reasons=frozenset(reasons),
        note="",
        vote_id=vid,
        updated_at=at,
        cancelled=cancelled,
        cast_by=email(by),
        project_manager=email(box),
        shown=shown,
    )


def keep(manager: str, vid: int, **kw) -> ManagerVote:
    return vote(manager, "keep", vid=vid, **kw)


def drop(manager: str, vid: int, *reasons: str, **kw) -> ManagerVote:
    return vote(manager, "drop", *(reasons or ("copied",)), vid=vid, **kw)


# (case, votes, options, outcome, keeps, drops, ignored as {vote_id: why})
CASES = [
    (
        "majority: three keeps",
        [keep("m1", 1), keep("m2", 2), keep("m3", 3)],
        {},
        ACCEPTED,
        3,
        0,
        {},
    ),
    (
        "majority: two drops of three",
        [drop("m1", 1), keep("m2", 2), drop("m3", 3)],
        {},
        DROPPED,
        1,
        2,
        {},
    ),
    (
        "majority: one drop of three keeps",
        [drop("m1", 1), keep("m2", 2), keep("m3", 3)],
        {},
        ACCEPTED,
        2,
        1,
        {},
    ),
    (
        "majority: two drops, no third vote yet",
        [drop("m1", 1), drop("m2", 2)],
        {},
        PENDING,
        0,
        2,
        {},
    ),
    ("no votes at all", [], {}, PENDING, 0, 0, {}),
    ("any_drop: one drop decides at once", [drop("m1", 1)], {"rule": ANY_DROP}, DROPPED, 0, 1, {}),
    (
        "any_drop: one drop among keeps",
        [keep("m1", 1), keep("m2", 2), drop("m3", 3)],
        {"rule": ANY_DROP},
        DROPPED,
        2,
        1,
        {},
    ),
    (
        "any_drop: two keeps wait for the third",
        [keep("m1", 1), keep("m2", 2)],
        {"rule": ANY_DROP},
        PENDING,
        2,
        0,
        {},
    ),
    (
        "any_drop: k keeps accept",
        [keep("m1", 1), keep("m2", 2), keep("m3", 3)],
        {"rule": ANY_DROP},
        ACCEPTED,
        3,
        0,
        {},
    ),
    (
        "own sentence does not count",
        [drop("m1", 1), keep("m2", 2), keep("m3", 3)],
        {"writer_of": {SID: "m1@example.com"}},
        PENDING,
        2,
        0,
        {1: OWN_SENTENCE},
    ),
    (
        "own sentence, another manager completes",
        [drop("m1", 1), keep("m2", 2), keep("m3", 3), drop("m4", 4)],
        {"writer_of": {SID: "M1@Example.com"}},
        ACCEPTED,
        2,
        1,
        {1: OWN_SENTENCE},
    ),
    (
        "a writer who is not a manager changes nothing",
        [drop("m1", 1), keep("m2", 2), drop("m3", 3)],
        {"writer_of": {SID: "writer@example.com"}},
        DROPPED,
        1,
        2,
        {},
    ),
    (
        "a vote changed by another manager does not count",
        [keep("m1", 1, by="m2"), keep("m2", 2), keep("m3", 3)],
        {},
        PENDING,
        2,
        0,
        {1: CHANGED_BY_OTHER},
    ),
    (
        "a drop made in a manager's name by a writer does not count",
        [drop("m1", 1, by="writer"), keep("m2", 2), keep("m3", 3), keep("m4", 4)],
        {"rule": ANY_DROP},
        ACCEPTED,
        3,
        0,
        {1: CHANGED_BY_OTHER},
    ),
    (
        "a vote with no recorded author does not count",
        [drop("m1", 1, by=None), drop("m2", 2), keep("m3", 3)],
        {},
        PENDING,
        1,
        1,
        {1: CHANGED_BY_OTHER},
    ),
    (
        "a changed vote does not supersede the manager's own vote",
        [
            drop("m1", 1),
            keep("m1", 5, by="m2", at="2024-05-01T11:00:00Z"),
            drop("m2", 2),
            keep("m3", 3),
        ],
        {},
        DROPPED,
        1,
        2,
        {5: CHANGED_BY_OTHER},
    ),
    (
        "the manager's own later vote counts after another changed the first",
        [keep("m1", 1, by="m2"), drop("m2", 2), keep("m3", 3), drop("m1", 5)],
        {},
        DROPPED,
        1,
        2,
        {1: CHANGED_BY_OTHER},
    ),
    (
        "the author's e-mail compares case-insensitively",
        [keep("m1", 1, by="M1"), keep("m2", 2), keep("m3", 3)],
        {},
        ACCEPTED,
        3,
        0,
        {},
    ),
    (
        "a non-manager's vote is not_a_manager whoever cast it",
        [drop("outsider", 1, by="m1"), keep("m2", 2)],
        {},
        PENDING,
        1,
        0,
        {1: NOT_A_MANAGER},
    ),
    (
        "a manager's vote in another manager's project does not count",
        [drop("m1", 1, box="m2"), keep("m2", 2), keep("m3", 3)],
        {},
        PENDING,
        2,
        0,
        {1: NOT_OWN_PROJECT},
    ),
    (
        "a vote of unknown project does not count",
        [drop("m1", 1, box=None), keep("m2", 2), keep("m3", 3)],
        {},
        PENDING,
        2,
        0,
        {1: NOT_OWN_PROJECT},
    ),
    (
        "the manager's vote in their own project counts beside one in another's",
        [drop("m1", 1, box="m2"), keep("m2", 2), keep("m3", 3), drop("m1", 4)],
        {},
        ACCEPTED,
        2,
        1,
        {1: NOT_OWN_PROJECT},
    ),
    (
        "the project's manager compares case-insensitively",
        [keep("m1", 1, box=" M1"), keep("m2", 2), keep("m3", 3)],
        {},
        ACCEPTED,
        3,
        0,
        {},
    ),
    (
        "changed by another is named before another's project",
        [drop("m1", 1, by="m2", box="m2"), keep("m2", 2), keep("m3", 3)],
        {},
        PENDING,
        2,
        0,
        {1: CHANGED_BY_OTHER},
    ),
    (
        "another's project is named before own sentence",
        [drop("m1", 1, box="m2"), keep("m2", 2)],
        {"writer_of": {SID: "m1@example.com"}},
        PENDING,
        1,
        0,
        {1: NOT_OWN_PROJECT},
    ),
    (
        "non-manager votes are ignored",
        [drop("outsider", 1), drop("m1", 2), keep("m2", 3), keep("m3", 4)],
        {},
        ACCEPTED,
        2,
        1,
        {1: NOT_A_MANAGER},
    ),
    (
        "non-manager alone leaves it pending",
        [drop("outsider", 1)],
        {"rule": ANY_DROP},
        PENDING,
        0,
        0,
        {1: NOT_A_MANAGER},
    ),
    (
        "e-mails compare case-insensitively",
        [vote("M1", "keep", vid=1), keep("m2", 2), keep(" m3", 3)],
        {},
        ACCEPTED,
        3,
        0,
        {},
    ),
    (
        "edited vote: the latest update wins",
        [
            keep("m1", 1, at="2024-05-01T10:00:00Z"),
            drop("m1", 5, at="2024-05-01T11:00:00Z"),
            drop("m2", 2),
            keep("m3", 3),
        ],
        {},
        DROPPED,
        1,
        2,
        {1: SUPERSEDED},
    ),
    (
        "edited vote: an older annotation updated later wins",
        [
            drop("m1", 1, at="2024-05-01T12:00:00+00:00"),
            keep("m1", 5, at="2024-05-01T11:00:00Z"),
            drop("m2", 2),
            keep("m3", 3),
        ],
        {},
        DROPPED,
        1,
        2,
        {5: SUPERSEDED},
    ),
    (
        "edited vote: same time, the higher id wins",
        [drop("m1", 1), keep("m1", 5), drop("m2", 2), keep("m3", 3)],
        {},
        ACCEPTED,
        2,
        1,
        {1: SUPERSEDED},
    ),
    (
        "withdrawn vote does not count",
        [drop("m1", 1, cancelled=True), keep("m2", 2), keep("m3", 3)],
        {},
        PENDING,
        2,
        0,
        {1: CANCELLED},
    ),
    (
        "withdrawn drop under any_drop does not drop",
        [drop("m1", 1, cancelled=True)],
        {"rule": ANY_DROP},
        PENDING,
        0,
        0,
        {1: CANCELLED},
    ),
    (
        "a later skip does not erase an earlier vote",
        [
            drop("m1", 1),
            keep("m1", 9, cancelled=True, at="2024-05-02T00:00:00Z"),
            drop("m2", 2),
            keep("m3", 3),
        ],
        {},
        DROPPED,
        1,
        2,
        {9: CANCELLED},
    ),
    (
        "extra votes beyond k are ignored",
        [keep("m1", 1), keep("m2", 2), keep("m3", 3), drop("m4", 4)],
        {},
        ACCEPTED,
        3,
        0,
        {4: BEYOND_K},
    ),
    (
        "extra drop cannot overturn an accepted sentence under any_drop",
        [keep("m1", 1), keep("m2", 2), keep("m3", 3), drop("m4", 4)],
        {"rule": ANY_DROP},
        ACCEPTED,
        3,
        0,
        {4: BEYOND_K},
    ),
    (
        "order is by arrival, not by the last edit",
        [
            keep("m1", 1),
            keep("m2", 2),
            drop("m4", 4),
            keep("m3", 6),
            drop("m1", 9, at="2024-05-01T12:00:00Z"),
        ],
        {},
        DROPPED,
        1,
        2,
        {1: SUPERSEDED, 6: BEYOND_K},
    ),
    (
        "tie with k=2 keeps the sentence",
        [keep("m1", 1), drop("m2", 2)],
        {"k": 2},
        ACCEPTED,
        1,
        1,
        {},
    ),
    (
        "tie with k=4 keeps the sentence",
        [keep("m1", 1), drop("m2", 2), keep("m3", 3), drop("m4", 4)],
        {"k": 4},
        ACCEPTED,
        2,
        2,
        {},
    ),
    (
        "k=4, three drops",
        [drop("m1", 1), drop("m2", 2), keep("m3", 3), drop("m4", 4)],
        {"k": 4},
        DROPPED,
        1,
        3,
        {},
    ),
    (
        "k=1 decides with one vote",
        [drop("m1", 1), keep("m2", 2)],
        {"k": 1},
        DROPPED,
        0,
        1,
        {2: BEYOND_K},
    ),
]


@pytest.mark.parametrize(
    "votes,options,outcome,keeps,drops,ignored", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_tally_rules(votes, options, outcome, keeps, drops, ignored):
    result = tally(votes, [SID], MANAGERS, **options)[SID]
    assert (result.outcome, result.keeps, result.drops) == (outcome, keeps, drops)
    assert {i.vote.vote_id: i.why for i in result.ignored} == ignored
    assert len(result.counted) + len(result.ignored) == len(votes)


@pytest.mark.parametrize(
    "named,expected",
    [
        (
            [("copied",), ("copied", "off_topic"), ("copied",)],
            {"copied"},
        ),  # named by more than half
        (
            [("copied",), ("off_topic",)],
            {"copied", "off_topic"},
        ),  # none by a majority: the most frequent, tied
        (
            [("copied", "other"), ("off_topic", "other"), ("private_person",)],
            {"other"},
        ),  # 2 of 3 is a majority
        (
            [("copied", "other"), ("off_topic", "other"), ("private_person",), ("copied",)],
            {"copied", "other"},
        ),
        ([], set()),
    ],
)
def test_drop_reasons(named, expected):
    votes = [drop(f"m{i}", i, *reasons) for i, reasons in enumerate(named, 1)]
    reasons, counts = drop_reasons(votes)
    assert reasons == expected
    assert sum(counts.values()) == sum(len(r) for r in named)


def test_dropped_result_carries_the_majority_reasons_and_counts():
    votes = [drop("m1", 1, "copied", "off_topic"), drop("m2", 2, "off_topic"), keep("m3", 3)]
    result = tally(votes, [SID], MANAGERS)[SID]
    assert result.outcome == DROPPED
    assert result.reasons == {"off_topic"}
    assert result.reason_counts == {"copied": 1, "off_topic": 2}


def test_accepted_and_pending_results_name_no_reasons_but_keep_counts():
    votes = [drop("m1", 1, "copied"), keep("m2", 2), keep("m3", 3)]
    result = tally(votes, [SID], MANAGERS)[SID]
    assert (result.outcome, result.reasons, result.reason_counts) == (
        ACCEPTED,
        frozenset(),
        {"copied": 1},
    )


def test_every_listed_submission_gets_a_result_and_others_are_not_tallied():
    votes = [
        drop("m1", 1, sid=1),
        drop("m2", 2, sid=1),
        keep("m3", 3, sid=1),
        drop("m1", 4, sid=99),
    ]
    results = tally(votes, [1, 2, 1], MANAGERS, rule=MAJORITY)
    assert list(results) == [1, 2]
    assert results[1].outcome == DROPPED and results[2].outcome == PENDING
    assert results[2].counted == () and results[2].ignored == ()


def test_own_sentence_is_per_submission():
    votes = [drop("m1", 1, sid=1), drop("m1", 2, sid=2)]
    results = tally(
        votes, [1, 2], MANAGERS, writer_of={1: "m1@example.com", 2: None}, rule=ANY_DROP
    )
    assert (results[1].outcome, results[2].outcome) == (PENDING, DROPPED)


@pytest.mark.parametrize(
    "options,message",
    [
        ({"k": 0}, "k .* at least 1"),
        ({"rule": "unanimous"}, "unknown vote rule 'unanimous'"),
    ],
)
def test_bad_options_are_explained(options, message):
    with pytest.raises(ValueError, match=message):
        tally([], [SID], MANAGERS, **options)


def test_unreadable_update_time_names_the_vote():
    votes = [keep("m1", 1, at="yesterday"), keep("m1", 2)]
    with pytest.raises(ValueError, match="vote 1: updated_at 'yesterday'"):
        tally(votes, [SID], MANAGERS)


def test_every_ignore_reason_is_in_the_vocabulary():
    from typing import get_args

    from apeach_ls.votes.model import IGNORED, Ignored

    assert set(IGNORED) == set(get_args(Ignored)) and len(IGNORED) == len(set(IGNORED))
    assert {CHANGED_BY_OTHER, NOT_OWN_PROJECT} <= set(IGNORED)


def test_votes_on_a_sentence_its_writer_rewrote_since_do_not_count():
    """Three managers kept a sentence; its writer then rewrote it (another text, or the same
    text with another intent or label: another version). The old keeps must not accept the
    new sentence: it is pending until managers vote on the new version."""
    from apeach_ls.votes.model import SENTENCE_CHANGED, ShownSentence

    old = ShownSentence("원래 문장", "v1")
    votes = [
        keep(m, vid, sid=sid, shown=old)
        for sid in (1, 2, 3)
        for vid, m in enumerate(("m1", "m2", "m3"), start=10 * sid)
    ]
    current = {1: old, 2: ShownSentence("바꾼 문장", "v2"), 3: ShownSentence("원래 문장", "v3")}
    results = tally(votes, [1, 2, 3], MANAGERS, k=3, current=current)
    assert [results[s].outcome for s in (1, 2, 3)] == [ACCEPTED, PENDING, PENDING]
    assert [results[s].keeps for s in (1, 2, 3)] == [3, 0, 0]
    assert {i.why for s in (2, 3) for i in results[s].ignored} == {SENTENCE_CHANGED}
    assert results[1].ignored == () and results[1].sentence_version == "v1"
    assert results[2].sentence_version == "v2"  # what the stored tally is about

    # new votes on the new version count; the old ones stay out, also of the manager's place
    new = ShownSentence("바꾼 문장", "v2")
    again = votes + [keep(m, 100 + i, sid=2, shown=new) for i, m in enumerate(("m3", "m4", "m1"))]
    result = tally(again, [2], MANAGERS, k=3, current=current)[2]
    assert result.outcome == ACCEPTED and [v.vote_id for v in result.counted] == [100, 101, 102]


def test_a_vote_task_made_before_versions_binds_the_vote_to_its_text():
    from apeach_ls.votes.model import ShownSentence

    legacy = ShownSentence("원래 문장")  # an older vote task: text only
    votes = [keep(m, vid, shown=legacy) for vid, m in enumerate(("m1", "m2", "m3"))]
    same = {SID: ShownSentence("원래 문장", "v9")}
    assert tally(votes, [SID], MANAGERS, current=same)[SID].outcome == ACCEPTED
    other = {SID: ShownSentence("바꾼 문장", "v9")}
    assert tally(votes, [SID], MANAGERS, current=other)[SID].outcome == PENDING
    unknown = [keep(m, vid) for vid, m in enumerate(("m1", "m2", "m3"))]  # shown not known
    assert tally(unknown, [SID], MANAGERS, current=same)[SID].outcome == PENDING
