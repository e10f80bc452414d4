"""One reader of Label Studio result lists (apeach_ls.results), one policy for its three users:
the writers' submissions (correction), the managers' votes and the ML backend's requests."""

from __future__ import annotations

import re

import pytest

from apeach_ls.correction import correct, extract_receipts, extract_text
from apeach_ls.results import (
    MalformedResult,
    check_items,
    choices_of,
    lines_of,
    text_of,
)
from apeach_ls.votes.parse import MalformedVote, parse_vote_result
from ml_backend.payloads import BadPayload, check_result


def text_item(name, text):
    return {"from_name": name, "to_name": "t", "type": "textarea", "value": {"text": text}}


def choice_item(name, choices):
    return {"from_name": name, "to_name": "t", "type": "choices", "value": {"choices": choices}}


@pytest.mark.parametrize(
    "text, read",
    [
        (["첫 줄", "둘째 줄"], "첫 줄\n둘째 줄"),  # a TextArea's lines, joined
        ("한 줄", "한 줄"),  # a single string is one line
        ([], ""),  # no lines: empty, not absent
        ([" 앞뒤 공백 "], " 앞뒤 공백 "),  # nothing stripped or cut
    ],
)
def test_text_is_the_lines_joined(text, read):
    result = [text_item("text", text)]
    assert text_of(result, "text") == read
    assert lines_of(result, "text") == ([text] if isinstance(text, str) else text)


def test_absent_reads_as_none_or_empty():
    result = [choice_item("intent", ["hate"]), {"from_name": "note", "value": {}}]
    assert text_of(result, "text") is None and text_of(result, None) is None
    assert lines_of(result, "receipt") == [] and choices_of(result, "reasons") == []
    assert text_of(result, "note") == "" and choices_of(result, "note") == []
    assert choices_of(result, "intent") == ["hate"]


MALFORMED = [
    ("x", "'result' must be a list of result objects"),
    (["x"], "result[0] must be an object"),
    ([{"from_name": 5}], "result[0]: 'from_name' must be a string"),
    ([{"from_name": "a", "value": "x"}], "result[0]: 'value' must be an object"),
    ([choice_item("a", "hate")], "result[0]: 'value.choices' must be a list of strings"),
    ([choice_item("a", [["hate"]])], "result[0]: 'value.choices' must be a list of strings"),
    ([text_item("a", 5)], "result[0]: 'value.text' must be a list of strings"),
    ([text_item("a", ["ok", None])], "result[0]: 'value.text' must be a list of strings"),
    (
        [choice_item("b", []), text_item("a", "x"), text_item("a", "y")],
        "result: items 1 and 2 are both from 'a'; expected at most one per control",
    ),
]


@pytest.mark.parametrize("result, message", MALFORMED)
def test_malformed_results_name_the_item(result, message):
    with pytest.raises(MalformedResult, match=re.escape(message)):
        check_items(result)
    if isinstance(result, list):  # a lookup checks the whole list, not just the item it wants
        with pytest.raises(MalformedResult, match=re.escape(message)):
            text_of(result, "none of these")


@pytest.mark.parametrize("result, message", MALFORMED[1:])
def test_every_reader_refuses_the_same_results_with_the_same_reason(result, message):
    """The writers' submissions, the votes and the ML backend apply the one policy."""
    for read in (extract_text, extract_receipts, correct):
        with pytest.raises(MalformedResult, match=re.escape(message)):
            read(result)
    with pytest.raises(MalformedVote, match=re.escape(message.replace("result", "vote result"))):
        parse_vote_result(result)
    with pytest.raises(BadPayload, match=re.escape(message.replace("result", "context.result"))):
        check_result(result, "context.result")


def test_every_reader_reads_the_same_text():
    lines = ["첫 줄", "둘째 줄"]
    assert extract_text([text_item("text", lines)]) == "첫 줄\n둘째 줄"
    vote = parse_vote_result([choice_item("decision", ["keep"]), text_item("note", lines)])
    assert vote.note == "첫 줄\n둘째 줄"
    assert check_result([text_item("text", lines)], "r") == [text_item("text", lines)]
    assert extract_receipts([text_item("verdict_receipt", lines)]) == lines
