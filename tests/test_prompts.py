"""Prompts: the default topic set, user topics files, and planning tasks without duplicates."""

from __future__ import annotations

import json

import pytest

from apeach_ls.errors import DataFileError
from apeach_ls.prompts import (
    Prompt,
    default_prompts,
    missing_tasks,
    parse_topics,
    task_data,
    task_prompt,
)

APEACH_TOPICS_ENG = [
    "Gender sterotypes",
    "Sexual harassment",
    "Appearance",
    "Age and social status",
    "Education",
    "Origin and residence",
    "Nationality",
    "Racism",
    "Disabled",
    "Diets",
]


def test_default_set_is_the_ten_apeach_topics_with_the_rules():
    prompts = default_prompts()
    assert [p.topic_eng for p in prompts] == APEACH_TOPICS_ENG
    assert prompts[0].topic == "성별 고정관념에 기반한 발언"
    for p in prompts:
        assert "ooo" in p.guideline and "xxx" in p.guideline  # placeholders for private persons
        assert "복사" in p.guideline  # no copying from the web
    assert len({p.key for p in prompts}) == 10


def test_missing_tasks_never_duplicates_and_tops_up():
    prompts = default_prompts()[:2]
    first = missing_tasks(prompts, 3, [])
    assert len(first) == 6 and len({t["prompt_id"] for t in first}) == 6
    assert missing_tasks(prompts, 3, [t["prompt_id"] for t in first]) == []
    more = missing_tasks(prompts, 5, [t["prompt_id"] for t in first])
    assert [t["prompt_id"] for t in more] == [
        "gender-stereotypes-0004",
        "gender-stereotypes-0005",
        "sexual-harassment-0004",
        "sexual-harassment-0005",
    ]
    assert set(first[0]) == {"prompt_id", "topic_key", "topic", "topic_eng", "guideline"}


def test_a_task_stores_its_prompts_key_and_reads_it_back():
    prompt = Prompt("my-topic-2", "주제", "Topic", "안내")
    data = task_data(prompt, 7)
    assert data["topic_key"] == "my-topic-2" and task_prompt(data) == prompt
    # the stored key wins over what prompt_id would decode to
    assert task_prompt({**data, "prompt_id": "other-0001"}).key == "my-topic-2"


def test_a_task_imported_before_topic_key_decodes_its_key_from_prompt_id():
    old = {"prompt_id": "gender-stereotypes-0012", "topic": "성별", "topic_eng": "G"}
    assert task_prompt(old) == Prompt("gender-stereotypes", "성별", "G", "")
    assert task_prompt({}).key == "topic"


def test_csv_and_json_topics_files():
    csv_text = 'topic,topic_eng,guideline\n직장 내 차별,Workplace,"직장에서, 한 문장"\n'
    [p] = parse_topics(csv_text, "t.csv")
    assert (p.key, p.topic, p.guideline) == ("workplace", "직장 내 차별", "직장에서, 한 문장")
    [q] = parse_topics(json.dumps([{"key": "k1", "topic": "주제", "guideline": "안내"}]), "t.json")
    assert q.key == "k1" and q.topic_eng == ""


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "t: the file is empty"),
        ("[1, 2", "t: not valid JSON"),
        ('{"topic": "x"}', "t: expected a JSON list"),
        ("name,guideline\nx,y\n", "t, row 1: the header has no 'topic' column"),
        ("topic,guideline\n,안내\n", "t, row 2, field 'topic': is empty"),
        ("topic,topic_eng,guideline\n주제,,안내\n", "t, row 2, field 'key': no key"),
        (
            "topic,topic_eng,guideline\n주제,A,안내\n주제2,A,안내\n",
            "t, row 3, field 'key': duplicate topic key 'a'",
        ),
        (
            '[{"topic": "주제", "topic_eng": "A", "guideline": 3}]',
            "t, item 1, field 'guideline': must be text",
        ),
        (
            '[{"topic": "주제", "key": "Bad Key", "guideline": "g"}]',
            "t, item 1, field 'key': 'Bad Key' is not a valid key",
        ),
        ("[]", "t: no topics in the file"),
        ('["x"]', "t, item 1: expected an object"),
    ],
)
def test_malformed_topics_files_name_the_row_and_field(text, message):
    with pytest.raises(DataFileError) as info:
        parse_topics(text, "t")
    assert str(info.value).startswith(message)
