"""The shipped vote config: roles found by value, votes parsed, and Label Studio accepts it."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from apeach_ls import label_config
from apeach_ls.errors import ConfigError
from apeach_ls.votes.config import DEFAULT_VOTE_TAGS, parse_vote_config
from apeach_ls.votes.parse import MalformedVote, ParsedVote, parse_vote_result

VOTE_XML = label_config.load("vote")


def test_shipped_config_roles():
    assert parse_vote_config(VOTE_XML) == DEFAULT_VOTE_TAGS


def test_managers_see_the_sentence_topic_guideline_and_aids_but_not_the_label_or_verdict():
    assert set(re.findall(r"\$(\w+)", VOTE_XML)) == {"text", "topic", "guideline", "aids"}
    root = ET.fromstring(VOTE_XML)
    shown = {c.get("alias") for c in root.iter("Choice")}
    assert shown == {
        "keep",
        "drop",
        "copied",
        "private_person",
        "off_topic",
        "other",
    }  # no hate/verdict choices
    assert {e.get("value") for e in root.iter("Text")} == {"$text", "$guideline", "$aids"}


def test_reasons_are_shown_only_for_a_drop():
    assert 'visibleWhen="choice-selected" whenTagName="decision" whenChoiceValue="drop"' in VOTE_XML


def test_renamed_tags_are_found():
    xml = VOTE_XML.replace('name="decision"', 'name="keep_or_drop"').replace(
        'name="note"', 'name="memo"'
    )
    tags = parse_vote_config(xml)
    assert (tags.decision, tags.note, tags.object_name) == ("keep_or_drop", "memo", "sentence")


def test_the_note_is_optional():
    xml = re.sub(r"<TextArea.*?/>", "", VOTE_XML, flags=re.S)
    assert parse_vote_config(xml).note is None


@pytest.mark.parametrize(
    "edit,message",
    [
        (lambda x: x.replace('alias="drop"', 'alias="remove"'), "keep/drop"),
        (
            lambda x: x.replace('alias="off_topic"', 'alias="offtopic"'),
            "copied/private_person/off_topic/other",
        ),
        (lambda x: x.replace('choice="multiple"', 'choice="single"'), 'choice="multiple"'),
        (
            lambda x: x.replace(
                "</View>\n</View>", '<TextArea name="x" toName="sentence"/></View>\n</View>'
            ),
            "at most one TextArea",
        ),
        (
            lambda x: x.replace(
                '<Choices name="decision" toName="sentence"',
                '<Choices name="decision" toName="nope"',
            ),
            "toName='nope'",
        ),
        (lambda x: "<View><Text", "not valid XML"),
    ],
)
def test_unusable_configs_are_explained(edit, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_vote_config(edit(VOTE_XML))


def item(name: str, kind: str, value) -> dict:
    key = "text" if kind == "textarea" else "choices"
    return {"from_name": name, "to_name": "sentence", "type": kind, "value": {key: value}}


@pytest.mark.parametrize(
    "result,expected",
    [
        ([item("decision", "choices", ["keep"])], ParsedVote("keep", frozenset(), "")),
        (
            [
                item("decision", "choices", ["drop"]),
                item("reasons", "choices", ["copied", "off_topic"]),
            ],
            ParsedVote("drop", frozenset({"copied", "off_topic"}), ""),
        ),
        # a drop without a reason still counts, as "other"
        ([item("decision", "choices", ["drop"])], ParsedVote("drop", frozenset({"other"}), "")),
        (
            [item("decision", "choices", ["drop"]), item("reasons", "choices", [])],
            ParsedVote("drop", frozenset({"other"}), ""),
        ),
        # reasons left over from a drop changed to keep are ignored
        (
            [item("reasons", "choices", ["copied"]), item("decision", "choices", ["keep"])],
            ParsedVote("keep", frozenset(), ""),
        ),
        (
            [
                item("decision", "choices", ["drop"]),
                item("reasons", "choices", ["other"]),
                item("note", "textarea", ["광고 문구 같아요", "두 번째 줄 "]),
            ],
            ParsedVote("drop", frozenset({"other"}), "광고 문구 같아요\n두 번째 줄"),
        ),
        (
            [
                item("decision", "choices", ["drop"]),
                item("note", "textarea", "메모"),
                item("something", "choices", ["x"]),
            ],
            ParsedVote("drop", frozenset({"other"}), "메모"),
        ),
    ],
)
def test_vote_results_are_parsed(result, expected):
    assert parse_vote_result(result) == expected


@pytest.mark.parametrize(
    "result,message",
    [
        ([], "no decision"),
        ([item("reasons", "choices", ["copied"])], "no decision"),
        ([item("decision", "choices", ["keep", "drop"])], "one of keep/drop"),
        ([item("decision", "choices", ["유지"])], "one of keep/drop"),
        ([item("decision", "choices", "drop")], "result[0]: 'value.choices' must be a list"),
        (
            [item("decision", "choices", ["drop"]), item("reasons", "choices", ["spam"])],
            "unknown reasons ['spam']",
        ),
        (
            [item("decision", "choices", ["keep"]), item("decision", "choices", ["drop"])],
            "items 0 and 1 are both from 'decision'",
        ),
        (
            [item("decision", "choices", ["keep"]), item("note", "textarea", 3)],
            "vote result[1]: 'value.text' must be a list of strings",
        ),
        ("drop", "must be a list"),
    ],
)
def test_malformed_votes_are_explained(result, message):
    with pytest.raises(MalformedVote, match=re.escape(message)):
        parse_vote_result(result)


VOTE_TASK = {
    "text": "ooo 같은 사람들은 다 싫어",
    "topic": "성별 고정관념에 기반한 발언",
    "guideline": "공인이 아닌 사람의 이름은 ooo로 바꿔 쓰세요. 웹에서 복사하지 마세요.",
    "aids": "",
}


@pytest.mark.integration
def test_label_studio_accepts_the_vote_config(label_studio):
    client = label_studio.client()
    project = client.projects.create(title="vote config check", label_config=VOTE_XML)
    try:
        assert (
            parse_vote_config(client.projects.get(id=project.id).label_config) == DEFAULT_VOTE_TAGS
        )
        imported = client.projects.import_tasks(
            id=project.id, request=[VOTE_TASK], return_task_ids=True
        )
        assert imported.task_count == 1  # an empty hint is accepted
    finally:
        client.projects.delete(id=project.id)


@pytest.mark.integration
@pytest.mark.browser
def test_reasons_appear_only_after_drop_in_the_labeling_ui(label_studio, browser, tmp_path):
    """In the real UI: reasons hidden until 제외 is chosen; the stored vote parses to aliases."""
    client = label_studio.client()
    project = client.projects.create(title="vote ui check", label_config=VOTE_XML)
    try:
        [task_id] = client.projects.import_tasks(
            id=project.id, request=[VOTE_TASK], return_task_ids=True
        ).task_ids
        page = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="ko-KR")
        page.goto(f"{label_studio.url}/user/login/")
        page.fill("#email", label_studio.username)
        page.fill("#password", label_studio.password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/user/login" not in url, timeout=60_000)  # home or projects
        page.goto(f"{label_studio.url}/projects/{project.id}/data?tab=0&task={task_id}")
        decision = page.locator(".lsf-choices").first
        decision.wait_for(timeout=60_000)
        copied = page.locator("label", has_text="웹에서 복사")
        assert not copied.is_visible()
        decision.locator("label", has_text="제외").click()
        copied.wait_for(state="visible", timeout=5_000)
        decision.locator("label", has_text="유지").click()
        copied.wait_for(state="hidden", timeout=5_000)
        decision.locator("label", has_text="제외").click()
        copied.click()
        page.locator("label", has_text="주제와 무관").click()
        note = page.locator('[data-testid="textarea-input"]')
        note.fill("광고 문구")
        note.press("Enter")
        page.screenshot(path=str(tmp_path / "vote.png"))
        page.get_by_test_id("bottombar-submit-button").click()
        page.wait_for_function(
            "() => window.Htx && window.Htx.annotationStore.selected.pk", timeout=15_000
        )
        page.close()
        [annotation] = client.annotations.list(id=task_id)
        assert parse_vote_result(annotation.result) == ParsedVote(
            "drop", frozenset({"copied", "off_topic"}), "광고 문구"
        )
    finally:
        client.projects.delete(id=project.id)
