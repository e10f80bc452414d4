"""Validation of fooled sentences, pure logic: the stopping rule, the tally's rules, who gets
which sentence, and what vMER and the fooled bonus read."""

from __future__ import annotations

import pytest

from apeach_ls.validation import (
    Decision,
    ValidationAnswer,
    decide,
    plan_assignments,
    tally,
    verified_by_validation,
)

R, W = "right", "wrong"


@pytest.mark.parametrize(
    "answers,verified,needs_more",
    [
        ([], None, 2),
        ([R], None, 1),
        ([W], None, 1),
        ([R, R], True, 0),  # two agreeing answers stop it
        ([W, W], False, 0),
        ([R, W], None, 2),  # disagreement: up to five, a majority of five decides
        ([R, W, R], None, 1),
        ([R, W, R, R], True, 0),
        ([W, R, W, W], False, 0),
        ([R, W, R, W], None, 1),
        ([R, W, R, W, R], True, 0),
        ([R, W, W, R, W], False, 0),
        ([R, R, W, W, W], True, 0),  # decided after the first two: the rest change nothing
    ],
)
def test_decide_stops_after_two_agreeing_answers_else_at_a_majority_of_five(
    answers, verified, needs_more
):
    assert decide(answers) == Decision(verified, needs_more)


def test_five_answers_always_decide():
    from itertools import product

    for answers in product((R, W), repeat=5):
        assert decide(list(answers)).verified is not None


def test_decide_refuses_unknown_answers():
    with pytest.raises(ValueError, match="unknown answer 'maybe'"):
        decide(["maybe"])


def answer(sid, who, value, aid, *, by=None, project=None, at="2026-01-01T00:00:00Z", **kw):
    return ValidationAnswer(
        submission_id=sid,
        validator=who,
        answer=value,
        answer_id=aid,
        updated_at=at,
        cast_by=who if by is None else by,
        project_validator=who if project is None else project,
        **kw,
    )


VALIDATORS = ["a@x.org", "b@x.org", "c@x.org", "w@x.org"]


def test_validated_wrong_by_two_is_not_verified_and_right_by_two_is():
    results = tally(
        [
            answer(1, "a@x.org", W, 10),
            answer(1, "b@x.org", W, 11),
            answer(2, "a@x.org", R, 12),
            answer(2, "c@x.org", R, 13),
        ],
        [1, 2, 3],
        VALIDATORS,
        {1: "w@x.org", 2: "w@x.org", 3: "w@x.org"},
    )
    assert [results[s].verified for s in (1, 2, 3)] == [False, True, None]
    assert verified_by_validation(results.values()) == {1: False, 2: True}
    assert (results[1].rights, results[1].wrongs) == (0, 2)


def test_an_answer_on_ones_own_sentence_and_others_answers_do_not_count():
    results = tally(
        [
            answer(1, "w@x.org", R, 1),  # the writer on their own sentence
            answer(1, "a@x.org", R, 2, by="w@x.org"),  # made in a's name by the writer
            answer(1, "b@x.org", R, 3, project="c@x.org"),  # in another validator's project
            answer(1, "z@x.org", R, 4),  # not a validator
            answer(1, "c@x.org", R, 5, cancelled=True),  # skipped
            answer(1, "c@x.org", R, 6),
        ],
        [1],
        VALIDATORS,
        {1: "W@x.org "},
    )
    r = results[1]
    assert r.verified is None and [a.answer_id for a in r.counted] == [6]
    assert [(i.answer.answer_id, i.why) for i in r.ignored] == [
        (1, "own_sentence"),
        (2, "changed_by_other"),
        (3, "not_own_project"),
        (4, "not_a_validator"),
        (5, "cancelled"),
    ]


def test_latest_answer_of_a_validator_counts_and_answers_after_the_decision_do_not():
    results = tally(
        [
            answer(1, "a@x.org", W, 1, at="2026-01-01T00:00:00Z"),
            answer(1, "b@x.org", R, 2),
            answer(1, "a@x.org", R, 3, at="2026-01-02T00:00:00Z"),  # a changed their mind
            answer(1, "c@x.org", W, 4),  # after a and b agreed
        ],
        [1],
        VALIDATORS,
    )
    r = results[1]
    assert r.verified is True and [a.answer_id for a in r.counted] == [3, 2]
    assert {(i.answer.answer_id, i.why) for i in r.ignored} == {
        (1, "superseded"),
        (4, "after_decision"),
    }


def test_first_two_validators_then_one_more_at_a_time_never_the_writer():
    writers = {1: "a@x.org", 2: "b@x.org", 3: None}
    plan = plan_assignments(writers, VALIDATORS[:3], {}, {})
    assigned = {v: set(s) for v, s in plan.items()}
    for sid, writer in writers.items():
        given = {v for v, s in assigned.items() if sid in s}
        assert len(given) == 2 and writer not in given
    # nothing answered yet: a re-run adds nothing (the tasks are on their way)
    assert plan_assignments(writers, VALIDATORS[:3], assigned, {}) == {}
    # sentence 1 (by a): b and c disagree -> two more answers are needed, only a is left,
    # and a wrote it: nobody is given it
    holders = sorted(v for v, s in assigned.items() if 1 in s)
    results = tally(
        [answer(1, holders[0], R, 1), answer(1, holders[1], W, 2)], [1], VALIDATORS, writers
    )
    assert plan_assignments({1: "a@x.org"}, VALIDATORS[:3], assigned, results) == {}
    # with a fourth validator, they get it
    assert plan_assignments({1: "a@x.org"}, VALIDATORS, assigned, results) == {"w@x.org": [1]}


def test_an_agreed_sentence_goes_to_no_one_else_and_a_skip_makes_room():
    assigned = {"a@x.org": {1}, "b@x.org": {1}}
    agreed = tally([answer(1, "a@x.org", R, 1), answer(1, "b@x.org", R, 2)], [1], VALIDATORS)
    assert plan_assignments({1: "w@x.org"}, VALIDATORS, assigned, agreed) == {}
    skipped = tally(
        [answer(1, "a@x.org", R, 1), answer(1, "b@x.org", R, 2, cancelled=True)], [1], VALIDATORS
    )
    assert plan_assignments({1: "w@x.org"}, VALIDATORS, assigned, skipped) == {"c@x.org": [1]}


def test_work_goes_to_the_least_loaded_validators():
    plan = plan_assignments({1: None, 2: None}, ["a@x.org", "b@x.org", "c@x.org"], {}, {})
    assert plan == {"a@x.org": [1, 2], "b@x.org": [1], "c@x.org": [2]}
    # b already holds more: new work goes to the others
    plan = plan_assignments({3: None}, ["a@x.org", "b@x.org", "c@x.org"], {"b@x.org": {9}}, {})
    assert plan == {"a@x.org": [3], "c@x.org": [3]}


def test_shipped_validation_config_and_answers():
    import re

    from apeach_ls import label_config
    from apeach_ls.errors import ConfigError
    from apeach_ls.labelstudio.validation_round import answer_tag, parse_answer

    xml = label_config.load("validation")
    assert answer_tag(xml) == "answer"
    # validators see the sentence, its topic and the writer's label; not who wrote it, no verdict
    assert set(re.findall(r"\$(\w+)", xml)) == {"text", "topic", "label"}
    item = {"from_name": "answer", "to_name": "sentence", "type": "choices"}
    assert parse_answer([{**item, "value": {"choices": ["wrong"]}}], "answer") == "wrong"
    assert parse_answer([{**item, "value": {"choices": ["right", "wrong"]}}], "answer") is None
    assert parse_answer([], "answer") is None
    with pytest.raises(ConfigError, match="one Choices with values right/wrong; found 0"):
        answer_tag(xml.replace('alias="wrong"', 'alias="no"'))


def test_answers_on_a_sentence_its_writer_rewrote_since_do_not_count():
    """Validators said "right" about one sentence; the writer then rewrote the submission
    (another text, or another label): the old answers must not verify the new sentence
    (nor pay its verified-only fooled bonus)."""
    shown = ("원래 문장", "혐오 표현")
    answers = [
        answer(1, "a@x.org", R, 10, shown=shown),
        answer(1, "b@x.org", R, 11, shown=shown),
        answer(2, "a@x.org", R, 12, shown=shown),
        answer(2, "b@x.org", R, 13, shown=shown),
        answer(3, "a@x.org", R, 14, shown=shown),
        answer(3, "b@x.org", R, 15, shown=shown),
    ]
    current = {1: shown, 2: ("바꾼 문장", "혐오 표현"), 3: ("원래 문장", "혐오 아님")}
    results = tally(answers, [1, 2, 3], VALIDATORS, {}, current)
    assert [results[s].verified for s in (1, 2, 3)] == [True, None, None]
    assert {i.why for s in (2, 3) for i in results[s].ignored} == {"sentence_changed"}
