"""Label correction: the stored label is corrected to the writer's intent."""

from __future__ import annotations

import pytest

from apeach_ls.correction import Flag, IncompleteSubmission, correct
from apeach_ls.labels import Verdict


def result(text="이 사람들 정말 싫어", intent="hate", verdict=("hate", 0.91), agreement="confirm"):
    items = [{"from_name": "text", "to_name": "prompt", "type": "textarea", "value": {"text": [text]}}]
    if intent:
        items.insert(0, {"from_name": "intent", "type": "choices", "value": {"choices": [intent]}})
    if verdict:
        items.append({"from_name": "verdict", "type": "choices", "value": {"choices": [verdict[0]]},
                      "score": verdict[1], "readonly": True})
        items.append({"from_name": "verdict_score", "type": "textarea", "value": {"text": [f"{verdict[1]:.2f}"]}})
    if agreement:
        items.append({"from_name": "agreement", "type": "choices", "value": {"choices": [agreement]}})
    return items


@pytest.mark.parametrize("intent,verdict,agreement,label,fooled,flags", [
    ("hate", "hate", "confirm", "hate", False, set()),
    ("not_hate", "hate", "flip", "not_hate", True, set()),
    ("hate", "not_hate", "flip", "hate", True, set()),
    ("not_hate", "not_hate", "confirm", "not_hate", False, set()),
    # the writer confirmed a verdict that contradicts the intent they picked: keep the
    # confirmed label, flag the disagreement for the managers
    ("hate", "not_hate", "confirm", "not_hate", False, {Flag.INTENT_MISMATCH}),
    ("not_hate", "not_hate", "flip", "hate", True, {Flag.INTENT_MISMATCH}),
])
def test_final_label_is_verdict_or_its_opposite(intent, verdict, agreement, label, fooled, flags):
    sub = correct(result(intent=intent, verdict=(verdict, 0.8), agreement=agreement))
    assert (sub.label, sub.fooled, set(sub.flags)) == (label, fooled, flags)
    assert sub.verdict == Verdict(verdict, 0.8)
    assert sub.intent == intent and sub.agreement == agreement


def test_no_verdict_falls_back_to_intent_and_is_flagged():
    sub = correct(result(intent="not_hate", verdict=None, agreement=None))
    assert sub.label == "not_hate" and not sub.fooled
    assert sub.flags == {Flag.NO_VERDICT}


def test_verdict_without_agreement_stands_and_is_flagged():
    sub = correct(result(intent="hate", verdict=("hate", 0.7), agreement=None))
    assert sub.label == "hate" and sub.flags == {Flag.NO_AGREEMENT}


def test_text_changed_after_the_verdict_is_detected_by_the_recheck():
    stored = result(verdict=("hate", 0.91))
    assert Flag.TEXT_CHANGED not in correct(stored, recheck=Verdict("hate", 0.91)).flags
    assert Flag.TEXT_CHANGED in correct(stored, recheck=Verdict("hate", 0.55)).flags
    assert Flag.TEXT_CHANGED in correct(stored, recheck=Verdict("not_hate", 0.91)).flags


def test_results_in_any_order_and_multiline_text():
    items = list(reversed(result(text="첫 줄")))
    items[-1 if items[-1]["from_name"] == "text" else 0]  # order does not matter
    items = [i if i["from_name"] != "text" else {**i, "value": {"text": ["첫 줄", "둘째 줄"]}} for i in items]
    sub = correct(items)
    assert sub.text == "첫 줄\n둘째 줄" and sub.label == "hate"


def test_missing_sentence_is_an_error():
    with pytest.raises(IncompleteSubmission, match="no sentence in 'text'"):
        correct([i for i in result() if i["from_name"] != "text"])


@pytest.mark.parametrize("bad_choice", [["maybe"], [], ["hate", "not_hate"]])
def test_unknown_or_ambiguous_choices_count_as_missing(bad_choice):
    items = result()
    for item in items:
        if item["from_name"] == "verdict":
            item["value"]["choices"] = bad_choice
    sub = correct(items)
    assert sub.verdict is None and Flag.NO_VERDICT in sub.flags and sub.label == "hate"


def test_a_verdict_ticked_by_the_writer_has_no_score_and_does_not_count():
    items = [i if i["from_name"] != "verdict" else {k: v for k, v in i.items() if k != "score"} for i in result()]
    sub = correct(items)
    assert sub.verdict is None and Flag.NO_VERDICT in sub.flags and sub.label == "hate"
