"""Measure the aids on a labeled development set (``tests/data/aids_dev``): precision, recall, flag rates.

Used by ``scripts/bench_aids.py`` and the dev-set tests. The dev set has four parts (each file says
what its columns mean):

- ``topics.tsv``: on-topic sentences, ten topics, written in the way crowd writers write. Each is
  also scored under *another* topic (one it does not fit), which the topic-relevance aid should flag.
- ``chatter.tsv``: BEEP! news comments referenced by line (never copied), each under a topic it does
  not fit: unrelated chatter, which should be flagged too.
- ``personal_info.tsv``: sentences with the spans the personal-information aid should report.
- ``near_duplicates.tsv``: variant pairs that should be flagged and different pairs that should not.

Every row belongs to the ``dev`` split (tune on it), the ``heldout`` split (evaluate only) or, for
topics, the ``fresh`` split (written after the aids were tuned, evaluated once).
Everything goes through ``compute_aids`` with the campaign's thresholds, as ``votes create`` does.
Reading the files is here; the metrics are plain functions of the rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..prompts import Prompt, default_prompts
from . import FLAG_NEAR_DUPLICATE, FLAG_OFF_TOPIC, SubmissionText, compute_aids
from .personal_info import find_personal_info


@dataclass(frozen=True)
class TopicItem:
    id: str
    split: str
    prompt_key: str  # the prompt it is scored under
    text: str
    on_topic: bool
    source: str  # "on-topic", "other-topic" or "chatter"


@dataclass(frozen=True)
class PersonalInfoItem:
    id: str
    split: str
    tag: str  # private, placeholder, public_figure, common_word, number
    expected: tuple[tuple[str, str], ...]  # (kind, span)
    text: str


@dataclass(frozen=True)
class DuplicatePair:
    id: str
    split: str
    kind: str  # ending, spacing, particle, jamo, order, mixed; "different" must not be flagged
    first: str
    second: str


@dataclass
class DevSet:
    topics: list[TopicItem] = field(default_factory=list)
    personal_info: list[PersonalInfoItem] = field(default_factory=list)
    duplicates: list[DuplicatePair] = field(default_factory=list)
    same_topic_groups: list[tuple[str, list[str]]] = field(
        default_factory=list
    )  # (split, sentences)
    missing: list[str] = field(
        default_factory=list
    )  # what could not be read (e.g. BEEP! not found)


def _rows(text: str) -> list[dict[str, str]]:
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return list(
        csv.DictReader(io.StringIO("\n".join(lines)), delimiter="\t", quoting=csv.QUOTE_NONE)
    )


def other_topic(topic: str, also: Sequence[str], position: int, keys: Sequence[str]) -> str:
    """A topic the sentence was not written for and does not fit, chosen by position (deterministic)."""
    start = keys.index(topic)
    for step in range(len(keys)):
        candidate = keys[(start + 1 + (position + step) % (len(keys) - 1)) % len(keys)]
        if candidate != topic and candidate not in also:
            return candidate
    raise ValueError(f"no other topic for {topic!r}")


def parse_topics(
    text: str, keys: Sequence[str]
) -> tuple[list[TopicItem], list[tuple[str, list[str]]]]:
    items: list[TopicItem] = []
    groups: dict[tuple[str, str], list[str]] = {}
    for position, row in enumerate(_rows(text)):
        also = [a for a in row["also"].split(",") if a]
        items.append(
            TopicItem(row["id"], row["split"], row["topic"], row["text"], True, "on-topic")
        )
        items.append(
            TopicItem(
                row["id"] + "~",
                row["split"],
                other_topic(row["topic"], also, position, keys),
                row["text"],
                False,
                "other-topic",
            )
        )
        groups.setdefault((row["split"], row["topic"]), []).append(row["text"])
    return items, [(split, texts) for (split, _), texts in groups.items()]


def parse_chatter(
    text: str, beep_lines: Callable[[str], Sequence[str] | None]
) -> tuple[list[TopicItem], list[str]]:
    """``beep_lines(file)`` gives the lines of a BEEP! file (None when it cannot be read)."""
    items, missing = [], []
    for row in _rows(text):
        lines = beep_lines(row["file"])
        if lines is None:
            if row["file"] not in missing:
                missing.append(row["file"])
            continue
        comment = lines[int(row["line"]) - 1].split("\t")[0]
        items.append(
            TopicItem(
                f"beep:{row['file']}:{row['line']}",
                row["split"],
                row["topic"],
                comment,
                False,
                "chatter",
            )
        )
    return items, missing


def parse_personal_info(text: str) -> list[PersonalInfoItem]:
    items = []
    for row in _rows(text):
        expected = tuple(
            (kind, span)
            for kind, span in (part.split("=", 1) for part in row["expected"].split("|") if part)
        )
        items.append(PersonalInfoItem(row["id"], row["split"], row["tag"], expected, row["text"]))
    return items


def parse_duplicates(text: str) -> list[DuplicatePair]:
    return [
        DuplicatePair(row["id"], row["split"], row["kind"], row["first"], row["second"])
        for row in _rows(text)
    ]


def read_devset(
    folder: str | Path, beep_dir: str | Path | None, prompts: Sequence[Prompt] | None = None
) -> DevSet:
    """Read the dev set from ``folder``; chatter comes from the BEEP! files in ``beep_dir``."""
    folder = Path(folder)
    keys = [p.key for p in (prompts or default_prompts())]
    read = lambda name: (folder / name).read_text(encoding="utf-8")  # noqa: E731
    cache: dict[str, list[str] | None] = {}

    def beep_lines(name: str) -> list[str] | None:
        if name not in cache:
            path = Path(beep_dir) / name if beep_dir else None
            cache[name] = (
                path.read_text(encoding="utf-8").splitlines() if path and path.is_file() else None
            )
        return cache[name]

    topics, groups = parse_topics(read("topics.tsv"), keys)
    chatter, missing = parse_chatter(read("chatter.tsv"), beep_lines)
    return DevSet(
        topics + chatter,
        parse_personal_info(read("personal_info.tsv")),
        parse_duplicates(read("near_duplicates.tsv")),
        groups,
        missing,
    )


# The metrics


@dataclass(frozen=True)
class Rate:
    hits: int
    total: int

    @property
    def value(self) -> float | None:
        return self.hits / self.total if self.total else None

    def __str__(self) -> str:
        return f"{self.value:.3f} ({self.hits}/{self.total})" if self.total else "n/a (0/0)"


def _in_split(items: Iterable[Any], split: str | None) -> list[Any]:
    return [item for item in items if split is None or item.split == split]


def evaluate_topics(
    items: Sequence[TopicItem],
    prompts: Mapping[str, Prompt],
    aid_options: Mapping[str, Any] | None = None,
) -> dict[str, Rate]:
    """Off-topic flags: on on-topic sentences (false flags), on other-topic ones and chatter (caught)."""
    submissions = [SubmissionText(i, item.text, item.prompt_key) for i, item in enumerate(items)]
    aids = compute_aids(submissions, prompts, **dict(aid_options or {}))
    flagged = [FLAG_OFF_TOPIC in aids[i].flags() for i in range(len(items))]

    def rate(source: str) -> Rate:
        chosen = [f for f, item in zip(flagged, items) if item.source == source]
        return Rate(sum(chosen), len(chosen))

    off = [f for f, item in zip(flagged, items) if not item.on_topic]
    return {
        "on-topic flagged": rate("on-topic"),
        "other-topic caught": rate("other-topic"),
        "chatter caught": rate("chatter"),
        "off-topic caught": Rate(sum(off), len(off)),
    }


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def evaluate_personal_info(
    items: Sequence[PersonalInfoItem], finder: Callable[[str], Sequence[Any]] = find_personal_info
) -> dict[str, Rate]:
    """Span precision and recall (a hint is right when its kind matches an expected span it overlaps),
    and how many sentences of each kind of harmless text got any hint."""
    predicted = correct = expected_total = expected_found = 0
    harmless: dict[str, list[int]] = {}
    for item in items:
        hints = list(finder(item.text))
        wanted = [
            (kind, (item.text.index(span), item.text.index(span) + len(span)))
            for kind, span in item.expected
        ]
        predicted += len(hints)
        correct += sum(
            1
            for h in hints
            if any(k == h.kind and _overlaps((h.start, h.end), s) for k, s in wanted)
        )
        expected_total += len(wanted)
        expected_found += sum(
            1
            for k, s in wanted
            if any(k == h.kind and _overlaps((h.start, h.end), s) for h in hints)
        )
        if item.tag != "private":
            harmless.setdefault(item.tag, []).append(1 if hints else 0)
    result = {"precision": Rate(correct, predicted), "recall": Rate(expected_found, expected_total)}
    for tag, flags in sorted(harmless.items()):
        result[f"{tag} flagged"] = Rate(sum(flags), len(flags))
    return result


def evaluate_duplicates(
    pairs: Sequence[DuplicatePair],
    groups: Sequence[Sequence[str]],
    prompts: Mapping[str, Prompt],
    aid_options: Mapping[str, Any] | None = None,
) -> dict[str, Rate]:
    """Variants caught (per kind and overall), and different same-topic sentences flagged: the
    'different' pairs and every on-topic sentence of a topic checked against the others."""
    key = next(iter(prompts))
    options = dict(aid_options or {})

    def flagged_second(first: str, second: str) -> bool:
        aids = compute_aids(
            [SubmissionText(1, first, key), SubmissionText(2, second, key)], prompts, **options
        )
        return FLAG_NEAR_DUPLICATE in aids[2].flags()

    result: dict[str, Rate] = {}
    kinds = sorted({p.kind for p in pairs if p.kind != "different"})
    caught_all = []
    for kind in kinds:
        caught = [flagged_second(p.first, p.second) for p in pairs if p.kind == kind]
        caught_all += caught
        result[f"{kind} caught"] = Rate(sum(caught), len(caught))
    result["variants caught"] = Rate(sum(caught_all), len(caught_all))
    different = [flagged_second(p.first, p.second) for p in pairs if p.kind == "different"]
    in_groups = 0
    group_total = 0
    for texts in groups:
        aids = compute_aids(
            [SubmissionText(i, t, key) for i, t in enumerate(texts)], prompts, **options
        )
        in_groups += sum(1 for a in aids.values() if FLAG_NEAR_DUPLICATE in a.flags())
        group_total += len(texts)
    result["different pairs flagged"] = Rate(sum(different), len(different))
    result["same-topic sentences flagged"] = Rate(in_groups, group_total)
    result["different flagged"] = Rate(sum(different) + in_groups, len(different) + group_total)
    return result


def evaluate(
    devset: DevSet,
    split: str | None,
    prompts: Mapping[str, Prompt],
    aid_options: Mapping[str, Any] | None = None,
) -> dict[str, dict[str, Rate]]:
    """All the figures for one split (``None``: both)."""
    groups = [texts for s, texts in devset.same_topic_groups if split is None or s == split]
    return {
        "topic relevance": evaluate_topics(_in_split(devset.topics, split), prompts, aid_options),
        "personal info": evaluate_personal_info(_in_split(devset.personal_info, split)),
        "near-duplicates": evaluate_duplicates(
            _in_split(devset.duplicates, split), groups, prompts, aid_options
        ),
    }
