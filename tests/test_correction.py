"""Label correction: the stored label is corrected to the writer's intent, and a verdict
counts only when its receipt verifies."""

from __future__ import annotations

import pytest
from verdicts import context, generation_result, receipt, receipt_item

from apeach_ls.correction import Flag, IncompleteSubmission, correct
from apeach_ls.labels import Verdict
from apeach_ls.receipts import ReceiptKey
from apeach_ls.results import MalformedResult


def result(
    text="이 사람들 정말 싫어",
    intent="hate",
    verdict=("hate", 0.91),
    agreement="confirm",
    signed=True,
):
    return generation_result(text, intent, verdict, agreement, signed=signed)


@pytest.mark.parametrize(
    "intent,verdict,agreement,label,fooled,flags",
    [
        ("hate", "hate", "confirm", "hate", False, set()),
        ("not_hate", "hate", "flip", "not_hate", True, set()),
        ("hate", "not_hate", "flip", "hate", True, set()),
        ("not_hate", "not_hate", "confirm", "not_hate", False, set()),
        # the writer confirmed a verdict that contradicts the intent they picked: keep the
        # confirmed label, flag the disagreement for the managers
        ("hate", "not_hate", "confirm", "not_hate", False, {Flag.INTENT_MISMATCH}),
        ("not_hate", "not_hate", "flip", "hate", True, {Flag.INTENT_MISMATCH}),
    ],
)
def test_final_label_is_verdict_or_its_opposite(intent, verdict, agreement, label, fooled, flags):
    sub = correct(
        result(intent=intent, verdict=(verdict, 0.8), agreement=agreement), receipts=context()
    )
    assert (sub.label, sub.fooled, set(sub.flags)) == (label, fooled, flags)
    assert sub.verdict == Verdict(verdict, 0.8) and sub.model_version == "test-v1"
    assert sub.intent == intent and sub.agreement == agreement


def test_no_verdict_falls_back_to_intent_and_is_flagged():
    sub = correct(result(intent="not_hate", verdict=None, agreement=None), receipts=context())
    assert sub.label == "not_hate" and not sub.fooled
    assert sub.flags == {Flag.NO_VERDICT}


def test_verdict_without_agreement_stands_and_is_flagged():
    sub = correct(result(intent="hate", verdict=("hate", 0.7), agreement=None), receipts=context())
    assert sub.label == "hate" and sub.flags == {Flag.NO_AGREEMENT}


def unverified(items, ctx=None, intent="not_hate"):
    sub = correct(items, receipts=ctx if ctx is not None else context())
    assert sub.verdict is None and not sub.fooled and sub.label == intent, sub
    assert Flag.VERDICT_UNVERIFIED in sub.flags and Flag.NO_VERDICT not in sub.flags
    return sub


def test_a_forged_verdict_without_a_receipt_counts_for_nothing():
    # a writer posts "not_hate 0.99, flip" through the API: no receipt
    sub = unverified(
        result(intent="not_hate", verdict=("not_hate", 0.99), agreement="flip", signed=False)
    )
    assert sub.shown_verdict == "not_hate" and sub.unverified_reason == "no verdict receipt"


def test_a_receipt_signed_with_another_secret_counts_for_nothing():
    items = result(intent="not_hate", verdict=("not_hate", 0.99), agreement="flip", signed=False)
    items.append(
        receipt_item(receipt("이 사람들 정말 싫어", "not_hate", 0.99, key=ReceiptKey("x" * 32)))
    )
    assert "signature" in unverified(items).unverified_reason


def test_a_verdict_changed_after_it_was_issued_counts_for_nothing():
    # the backend said hate; a hotkey (or an API edit) changed the stored verdict to not_hate
    items = result(intent="not_hate", verdict=("hate", 0.9), agreement="confirm")
    for item in items:
        if item["from_name"] == "verdict":
            item["value"] = {"choices": ["not_hate"]}
    assert "is not the issued one" in unverified(items).unverified_reason


def test_a_sentence_changed_after_its_verdict_counts_for_nothing():
    items = result(text="원래 문장", intent="not_hate", verdict=("hate", 0.9), agreement="flip")
    items = [
        i if i["from_name"] != "text" else {**i, "value": {"text": ["바꾼 문장"]}} for i in items
    ]
    assert "changed after its verdict" in unverified(items).unverified_reason


@pytest.mark.parametrize("project_id,task_id", [(2, 1), (1, 2)])
def test_a_receipt_from_another_task_or_project_counts_for_nothing(project_id, task_id):
    items = result(intent="not_hate", verdict=("hate", 0.9), agreement="flip")
    assert (
        "issued for project 1 task 1"
        in unverified(items, context(project_id, task_id)).unverified_reason
    )


def test_a_tampered_payload_counts_for_nothing():
    items = result(intent="not_hate", verdict=("hate", 0.9), agreement="flip", signed=False)
    token = receipt("이 사람들 정말 싫어", "hate", 0.9)
    version, payload, mac = token.split(".")
    items.append(receipt_item(f"{version}.{payload[:-2]}AA.{mac}"))
    unverified(items)


@pytest.mark.parametrize("junk", ["", "v1..", "v1.a.b.c", "v2.abc.def", "garbage", "v1.@@@.###"])
def test_junk_receipts_never_crash_and_count_for_nothing(junk):
    items = result(intent="not_hate", verdict=("hate", 0.9), agreement="flip", signed=False)
    items.append({"from_name": "verdict_receipt", "type": "textarea", "value": {"text": [junk]}})
    sub = correct(items, receipts=context())
    assert sub.verdict is None and not sub.fooled and sub.label == "not_hate"


@pytest.mark.parametrize("junk", [5, None])
def test_a_receipt_that_is_not_text_is_a_malformed_result_naming_the_item(junk):
    items = result(intent="not_hate", verdict=("hate", 0.9), agreement="flip", signed=False)
    items.append({"from_name": "verdict_receipt", "type": "textarea", "value": {"text": [junk]}})
    with pytest.raises(MalformedResult, match=rf"result\[{len(items) - 1}\]: 'value.text'"):
        correct(items, receipts=context())


def test_without_receipt_context_no_verdict_counts():
    sub = correct(result(intent="not_hate", verdict=("hate", 0.9), agreement="flip"))
    assert sub.verdict is None and Flag.VERDICT_UNVERIFIED in sub.flags and sub.label == "not_hate"


def test_after_an_edit_the_receipt_of_the_final_text_counts():
    items = result(
        text="두번째 문장",
        intent="not_hate",
        verdict=("not_hate", 0.7),
        agreement="confirm",
        signed=False,
    )
    items.append(
        {
            "from_name": "verdict_receipt",
            "type": "textarea",
            "value": {
                "text": [
                    receipt("첫 문장", "hate", 0.9, issued_at=1),
                    receipt("두번째 문장", "not_hate", 0.7, issued_at=2),
                ]
            },
        }
    )
    sub = correct(items, receipts=context())
    assert sub.verdict == Verdict("not_hate", 0.7) and sub.label == "not_hate" and not sub.flags


def test_results_in_any_order_and_multiline_text():
    items = generation_result("첫 줄\n둘째 줄", "hate", ("hate", 0.9), "confirm")
    items = [
        i if i["from_name"] != "text" else {**i, "value": {"text": ["첫 줄", "둘째 줄"]}}
        for i in items
    ]
    sub = correct(list(reversed(items)), receipts=context())
    assert sub.text == "첫 줄\n둘째 줄" and sub.label == "hate" and sub.verdict is not None


def test_missing_sentence_is_an_error():
    with pytest.raises(IncompleteSubmission, match="no sentence in 'text'"):
        correct([i for i in result() if i["from_name"] != "text"], receipts=context())


@pytest.mark.parametrize("bad_choice", [["maybe"], [], ["hate", "not_hate"]])
def test_unknown_or_ambiguous_verdict_choices_do_not_count(bad_choice):
    items = result()
    for item in items:
        if item["from_name"] == "verdict":
            item["value"]["choices"] = bad_choice
    sub = correct(items, receipts=context())
    assert sub.verdict is None and Flag.VERDICT_UNVERIFIED in sub.flags and sub.label == "hate"
