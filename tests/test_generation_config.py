"""The shipped generation config: its roles are found by value, not by hard-coded names."""

from __future__ import annotations

import pytest

from apeach_ls import label_config
from apeach_ls.errors import ConfigError
from apeach_ls.generation_config import DEFAULT_TAGS, parse_generation_config


def test_shipped_config_roles():
    assert parse_generation_config(label_config.load("generation")) == DEFAULT_TAGS


def test_renamed_tags_are_found():
    xml = (
        label_config.load("generation")
        .replace('name="verdict"', 'name="model_says"')
        .replace('name="text"', 'name="sentence"')
    )
    tags = parse_generation_config(xml)
    assert (tags.verdict, tags.text) == ("model_says", "sentence")


@pytest.mark.parametrize(
    "edit,message",
    [
        (lambda x: x.replace('smartonly="true"', ""), "exactly one TextArea with smartonly"),
        (lambda x: x.replace('alias="confirm"', 'alias="yes"'), "confirm/flip"),
        (lambda x: "<View><Text", "not valid XML"),
    ],
)
def test_unusable_configs_are_explained(edit, message):
    with pytest.raises(ConfigError, match=message):
        parse_generation_config(edit(label_config.load("generation")))
