"""The aids on their labeled dev set (tests/data/aids_dev): the targets of issue 15, on the split
they were tuned on (dev) and on the one they were not (heldout). scripts/bench_aids.py prints
the same figures and the timings."""

from __future__ import annotations

from pathlib import Path

import pytest

from apeach_ls.aids.evaluation import evaluate, read_devset
from apeach_ls.aids.personal_info import find_personal_info
from apeach_ls.prompts import default_prompts

DEVSET = Path(__file__).parent / "data" / "aids_dev"
PROMPTS = {p.key: p for p in default_prompts()}


@pytest.fixture(scope="module")
def devset(beep_dir):
    devset = read_devset(DEVSET, beep_dir)
    assert not devset.missing
    return devset


@pytest.fixture(scope="module", params=["dev", "heldout"])
def figures(request, devset):
    return evaluate(devset, request.param, PROMPTS)


def test_the_dev_set_covers_what_the_issue_asks_for(devset):
    assert {item.prompt_key for item in devset.topics if item.source == "on-topic"} == set(PROMPTS)
    assert {item.source for item in devset.topics} == {"on-topic", "other-topic", "chatter"}
    assert {item.tag for item in devset.personal_info} == {
        "private",
        "placeholder",
        "public_figure",
        "common_word",
        "number",
    }
    kinds = {kind for item in devset.personal_info for kind, _ in item.expected}
    assert kinds == {
        "name",
        "phone",
        "email",
        "resident_number",
        "url",
        "handle",
        "address",
        "account",
    }
    assert {pair.kind for pair in devset.duplicates} == {
        "ending",
        "spacing",
        "particle",
        "jamo",
        "order",
        "mixed",
        "different",
    }
    for items in (devset.topics, devset.personal_info, devset.duplicates):
        assert {item.split for item in items} >= {"dev", "heldout"}


def test_topic_relevance_targets(figures):
    topic = figures["topic relevance"]
    assert topic["on-topic flagged"].value <= 0.05
    assert topic["off-topic caught"].value >= 0.80


def test_personal_information_targets(figures):
    info = figures["personal info"]
    assert info["precision"].value >= 0.9
    assert info["placeholder flagged"].hits == 0


def test_near_duplicate_targets(figures):
    duplicates = figures["near-duplicates"]
    assert duplicates["variants caught"].value >= 0.9
    assert all(rate.value > 0 for name, rate in duplicates.items() if name.endswith(" caught"))
    assert duplicates["different flagged"].value <= 0.02


def test_no_placeholder_of_the_dev_set_is_ever_flagged(devset):
    placeholders = [item.text for item in devset.personal_info if item.tag == "placeholder"]
    assert placeholders and [text for text in placeholders if find_personal_info(text)] == []
