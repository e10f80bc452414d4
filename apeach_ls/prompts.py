"""Prompts: a topic and its guideline, shown to a writer as one writing task.

Pure logic: parsing a topics file's text and planning which writing tasks are missing.
Reading files and talking to Label Studio happen in the callers.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from .errors import DataFileError

TOPIC_FIELDS = ("key", "topic", "topic_eng", "guideline")
MAX_FIELD_CHARS = 2000


@dataclass(frozen=True)
class Prompt:
    key: str  # stable ASCII id of the topic, used in every task's prompt_id
    topic: str  # shown to writers (Korean in the default set), exported as text_topic
    topic_eng: str  # exported as text_topic_eng
    guideline: str  # shown to writers: what to write and the rules


def default_prompts() -> list[Prompt]:
    """The ten APEACH topics with Korean guidelines that carry the writing rules."""
    text = resources.files("apeach_ls").joinpath("data/topics.json").read_text(encoding="utf-8")
    return parse_topics(text, "topics.json (built in)")


_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:64]


def parse_topics(text: str, path: str) -> list[Prompt]:
    """Parse a topics file: JSON (a list of objects) or CSV with a header.

    Fields: ``topic`` and ``guideline`` are required; ``topic_eng`` defaults to empty;
    ``key`` defaults to a slug of ``topic_eng``. Errors name the row and the field.
    """
    stripped = text.lstrip("\ufeff").strip()
    if not stripped:
        raise DataFileError(
            path,
            "the file is empty; expected a JSON list or a CSV with header "
            "topic,topic_eng,guideline",
        )
    rows: list[tuple[int, Any]]
    if stripped[0] in "[{":
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise DataFileError(path, f"not valid JSON ({exc.msg} at line {exc.lineno})") from exc
        if not isinstance(data, list):
            raise DataFileError(
                path, "expected a JSON list of objects with topic, topic_eng, guideline"
            )
        rows = [(i + 1, r) for i, r in enumerate(data)]
        row_word = "item"
    else:
        reader = csv.DictReader(io.StringIO(stripped))
        header = reader.fieldnames or []
        for required in ("topic", "guideline"):
            if required not in header:
                raise DataFileError(
                    path,
                    f"the header has no {required!r} column (header: {','.join(header)})",
                    row=1,
                )
        rows = [(i + 2, r) for i, r in enumerate(reader)]
        row_word = "row"
    prompts: list[Prompt] = []
    seen: dict[str, int] = {}
    for number, raw in rows:
        prompt = _prompt_from_row(raw, path, number, row_word)
        if prompt.key in seen:
            raise DataFileError(
                path,
                f"duplicate topic key {prompt.key!r} (also in {row_word} {seen[prompt.key]})",
                row=number,
                field="key",
            )
        seen[prompt.key] = number
        prompts.append(prompt)
    if not prompts:
        raise DataFileError(path, "no topics in the file")
    return prompts


def _prompt_from_row(raw: Any, path: str, number: int, row_word: str) -> Prompt:
    def fail(message: str, field: str | None = None) -> DataFileError:
        err = DataFileError(path, message, row=number, field=field)
        if row_word == "item":
            err.args = (str(err).replace(f"row {number}", f"item {number}"),)
        return err

    if not isinstance(raw, dict):
        raise fail("expected an object with topic, topic_eng, guideline")
    values: dict[str, str] = {}
    for field in TOPIC_FIELDS:
        value = raw.get(field)
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise fail(f"must be text, got {type(value).__name__}", field)
        value = value.strip()
        if len(value) > MAX_FIELD_CHARS:
            raise fail(f"is longer than {MAX_FIELD_CHARS} characters", field)
        values[field] = value
    for required in ("topic", "guideline"):
        if not values[required]:
            raise fail("is empty", required)
    key = values["key"] or _slug(values["topic_eng"])
    if not key:
        raise fail("no key: give a 'key' (a-z, 0-9, -) or an English 'topic_eng'", "key")
    if not _KEY_RE.match(key):
        raise fail(
            f"{key!r} is not a valid key (lowercase a-z, 0-9, '-' or '_', at most 64)", "key"
        )
    return Prompt(
        key=key, topic=values["topic"], topic_eng=values["topic_eng"], guideline=values["guideline"]
    )


def prompt_id(prompt: Prompt, number: int) -> str:
    """The stable id of the ``number``-th writing task of a topic (1-based)."""
    return f"{prompt.key}-{number:04d}"


def task_data(prompt: Prompt, number: int) -> dict[str, str]:
    """The Label Studio task data of one writing task; ``topic_key`` is the prompt's key."""
    return {
        "prompt_id": prompt_id(prompt, number),
        "topic_key": prompt.key,
        "topic": prompt.topic,
        "topic_eng": prompt.topic_eng,
        "guideline": prompt.guideline,
    }


def task_prompt(data: Mapping[str, Any]) -> Prompt:
    """The prompt a writing task showed, from its task data.

    Tasks imported since ``topic_key`` was added carry the key; older tasks only have
    ``prompt_id`` (``<key>-<number>``), from which the key is recovered. A task with
    neither gets the key ``topic``.
    """
    key = str(data.get("topic_key") or "")
    if not key:
        key = str(data.get("prompt_id") or "").rsplit("-", 1)[0] or "topic"
    return Prompt(
        key=key,
        topic=str(data.get("topic", "")),
        topic_eng=str(data.get("topic_eng", "")),
        guideline=str(data.get("guideline", "")),
    )


def missing_tasks(
    prompts: Sequence[Prompt], per_topic: int, existing_ids: Iterable[str]
) -> list[dict[str, str]]:
    """Writing tasks still needed so that every topic has ``per_topic`` of them.

    Tasks already in the project (by ``prompt_id``) are not planned again, so a re-run
    never duplicates; a larger ``per_topic`` adds only the difference.
    """
    if per_topic < 0:
        raise ValueError("per_topic must be 0 or more")
    have = set(existing_ids)
    return [
        task_data(p, n)
        for p in prompts
        for n in range(1, per_topic + 1)
        if prompt_id(p, n) not in have
    ]
