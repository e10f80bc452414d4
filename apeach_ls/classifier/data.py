"""Labeled sentences for training and evaluating the pseudo-classifier.

Three formats, told apart by their header (or, for JSONL, by the first character):

* BEEP! TSV: ``comments, contain_gender_bias, bias, hate``; ``hate`` is none / offensive /
  hate, and offensive counts as hate.
* APEACH CSV: ``text,user_age,user_gender,text_topic,class,age,text_topic_eng``; ``class``
  is ``Spoiled`` (hate) or ``Default`` (not hate).
* Our own export: CSV with ``text,label`` columns, or JSONL with ``{"text": ..., "label": ...}``
  objects; label is ``hate`` / ``not_hate``. The CSV's texts are read through
  ``spreadsheet.unguard`` (``submissions export`` guards cells against spreadsheet formulas).

Every problem raises :class:`DataFileError` naming the file, the row (1-based; in tables the
header is row 1 and a quoted multi-line field is still one row; in JSONL the line) and the field.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataFileError
from ..labels import HATE, NOT_HATE, Label, parse_label
from ..spreadsheet import unguard


@dataclass(frozen=True)
class LabeledText:
    text: str
    label: Label


@dataclass(frozen=True)
class _Format:
    name: str
    text_field: str
    label_field: str
    labels: Mapping[str, Label]


BEEP = _Format("BEEP! TSV", "comments", "hate", {"none": NOT_HATE, "offensive": HATE, "hate": HATE})
APEACH = _Format("APEACH CSV", "text", "class", {"Spoiled": HATE, "Default": NOT_HATE})
PLAIN = _Format("text,label", "text", "label", {HATE: HATE, NOT_HATE: NOT_HATE})

_EXPECTED = (
    "a BEEP! TSV (comments, contain_gender_bias, bias, hate), an APEACH CSV "
    "(text,...,class,...) or text,label"
)


def from_pairs(pairs: Iterable[tuple[str, str]]) -> list[LabeledText]:
    """``[("문장", "hate"), ...]`` -> examples; ValueError for an unknown label."""
    return [LabeledText(text, parse_label(label)) for text, label in pairs]


def read_labeled(path: str | Path) -> list[LabeledText]:
    """All examples of a labeled file, in file order."""
    name = str(path)
    content = _read_text(name)
    if content.lstrip().startswith("{"):
        examples = _read_jsonl(name, content)
    else:
        examples = _read_table(name, content)
    if not examples:
        raise DataFileError(name, "no examples after the header")
    return examples


def _read_text(name: str) -> str:
    try:
        raw = Path(name).read_bytes()
    except FileNotFoundError:
        raise DataFileError(name, "no such file") from None
    except IsADirectoryError:
        raise DataFileError(name, "is a directory, expected a labeled file") from None
    except OSError as exc:
        raise DataFileError(name, f"cannot read: {exc.strerror}") from None
    if b"\x00" in raw:
        raise DataFileError(
            name, "binary file, expected UTF-8 text", row=raw[: raw.index(b"\x00")].count(b"\n") + 1
        )
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = raw[: exc.start].count(b"\n") + 1
        raise DataFileError(
            name,
            f"not UTF-8 text (bad byte at offset {exc.start}); save the file as UTF-8",
            row=row,
        ) from None
    if not content.strip():
        raise DataFileError(name, f"empty file; expected {_EXPECTED}")
    return content


def _detect(name: str, header: list[str]) -> _Format:
    columns = [c.strip() for c in header]
    if "comments" in columns:
        fmt = BEEP
    elif "text" in columns:
        fmt = APEACH if "class" in columns else PLAIN
    else:
        raise DataFileError(name, f"no text column in the header; expected {_EXPECTED}", row=1)
    if fmt.label_field not in columns:
        raise DataFileError(
            name, f"missing column in the header (a {fmt.name} file)", row=1, field=fmt.label_field
        )
    return fmt


def _read_table(name: str, content: str) -> list[LabeledText]:
    first_line = content.split("\n", 1)[0]
    if "\t" in first_line:
        reader = csv.reader(
            io.StringIO(content, newline=""), delimiter="\t", quoting=csv.QUOTE_NONE
        )
    else:
        reader = csv.reader(io.StringIO(content, newline=""))
    row = 0  # the last row read
    try:
        header = next(reader)
        row = 1
        fmt = _detect(name, header)
        columns = [c.strip() for c in header]
        text_at, label_at = columns.index(fmt.text_field), columns.index(fmt.label_field)
        examples = []
        for values in reader:
            row += 1
            if not values:
                continue  # a blank line
            if len(values) != len(columns):
                missing = columns[len(values)] if len(values) < len(columns) else None
                raise DataFileError(
                    name,
                    f"has {len(values)} fields, the header has {len(columns)}",
                    row=row,
                    field=missing,
                )
            text = (
                unguard(values[text_at]) if fmt is PLAIN else values[text_at]
            )  # our CSVs guard formulas
            examples.append(_example(name, fmt, row, text, values[label_at]))
    except csv.Error as exc:
        raise DataFileError(name, f"malformed table: {exc}", row=row + 1) from None
    return examples


def _example(name: str, fmt: _Format, row: int, text: str, value: str) -> LabeledText:
    if not text.strip():
        raise DataFileError(name, "empty text", row=row, field=fmt.text_field)
    label = fmt.labels.get(value.strip())
    if label is None:
        expected = ", ".join(fmt.labels)
        raise DataFileError(
            name,
            f"unknown value {value!r}; expected one of {expected}",
            row=row,
            field=fmt.label_field,
        )
    return LabeledText(text, label)


def _read_jsonl(name: str, content: str) -> list[LabeledText]:
    examples = []
    for row, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataFileError(name, f"not valid JSON: {exc.msg}", row=row) from None
        if not isinstance(item, dict):
            raise DataFileError(name, "expected a JSON object with text and label", row=row)
        for field in (PLAIN.text_field, PLAIN.label_field):
            if not isinstance(item.get(field), str):
                problem = "missing field" if field not in item else "expected a string"
                raise DataFileError(name, problem, row=row, field=field)
        examples.append(_example(name, PLAIN, row, item["text"], item["label"]))
    return examples
