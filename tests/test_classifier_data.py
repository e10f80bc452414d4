"""Reading labeled files: the three formats, and one exact message per kind of bad file."""

from __future__ import annotations

import json

import pytest
from beep import beep_path

from apeach_ls.classifier.data import LabeledText, from_pairs, read_labeled
from apeach_ls.errors import DataFileError

BEEP_HEADER = "comments\tcontain_gender_bias\tbias\thate\n"
APEACH_HEADER = "text,user_age,user_gender,text_topic,class,age,text_topic_eng\n"


def write(tmp_path, name: str, content: str | bytes):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def test_beep_tsv_counts_offensive_as_hate(tmp_path):
    path = write(
        tmp_path,
        "beep.tsv",
        BEEP_HEADER + "좋은 배우\tFalse\tnone\tnone\n"
        '지현우 나쁜놈\tFalse\tnone\toffensive\n"따옴표" 그대로\tTrue\tgender\thate\n',
    )
    assert read_labeled(path) == [
        LabeledText("좋은 배우", "not_hate"),
        LabeledText("지현우 나쁜놈", "hate"),
        LabeledText('"따옴표" 그대로', "hate"),
    ]


def test_apeach_csv_keeps_quoted_newlines_and_commas(tmp_path):
    path = write(
        tmp_path,
        "apeach.csv",
        APEACH_HEADER
        + '"첫 줄,\n둘째 줄",37,female,나이,Spoiled,35,Age and social status\n'
        + "평범한 문장,19,male,국적,Default,20,Nationality\n",
    )
    assert read_labeled(path) == [
        LabeledText("첫 줄,\n둘째 줄", "hate"),
        LabeledText("평범한 문장", "not_hate"),
    ]


def test_text_label_csv_and_jsonl(tmp_path):
    csv_path = write(
        tmp_path, "ours.csv", "\ufefftext,label,topic\n싫어,hate,x\n\n좋아,not_hate,y\n"
    )
    lines = [
        json.dumps({"text": "싫어", "label": "hate"}, ensure_ascii=False),
        "",
        json.dumps({"text": "좋아", "label": "not_hate", "topic": "y"}, ensure_ascii=False),
    ]
    jsonl_path = write(tmp_path, "ours.jsonl", "\n".join(lines) + "\n")
    expected = [LabeledText("싫어", "hate"), LabeledText("좋아", "not_hate")]
    assert read_labeled(csv_path) == expected
    assert read_labeled(jsonl_path) == expected


def test_reads_the_real_beep_files():
    beep = beep_path()
    train, dev = read_labeled(beep / "train.tsv"), read_labeled(beep / "dev.tsv")
    assert (len(train), len(dev)) == (7896, 471)
    assert sum(ex.label == "hate" for ex in dev) == 311


def test_from_pairs():
    assert from_pairs([("a", "hate")]) == [LabeledText("a", "hate")]
    with pytest.raises(ValueError, match="unknown label 'offensive'"):
        from_pairs([("a", "offensive")])


BAD_FILES = [
    (
        "unknown BEEP! label",
        "b.tsv",
        BEEP_HEADER + "ok\tFalse\tnone\tnone\nx\tFalse\tnone\trude\n",
        "row 3, field 'hate': unknown value 'rude'; expected one of none, offensive, hate",
    ),
    (
        "empty BEEP! comment",
        "b.tsv",
        BEEP_HEADER + " \tFalse\tnone\thate\n",
        "row 2, field 'comments': empty text",
    ),
    (
        "short BEEP! row",
        "b.tsv",
        BEEP_HEADER + "ok\tFalse\tnone\tnone\nshort\tFalse\n",
        "row 3, field 'bias': has 2 fields, the header has 4",
    ),
    (
        "unknown APEACH class",
        "a.csv",
        APEACH_HEADER + '"two\nlines",30,male,t,Default,30,Diets\nx,30,male,t,Spoiled?,30,Diets\n',
        "row 3, field 'class': unknown value 'Spoiled?'; expected one of Spoiled, Default",
    ),
    (
        "our label misspelled",
        "o.csv",
        "text,label\nx,not hate\n",
        "row 2, field 'label': unknown value 'not hate'; expected one of hate, not_hate",
    ),
    ("empty text in our CSV", "o.csv", "text,label\n,hate\n", "row 2, field 'text': empty text"),
    (
        "label column missing",
        "o.csv",
        "text,topic\nx,y\n",
        "row 1, field 'label': missing column in the header (a text,label file)",
    ),
    (
        "BEEP! without hate column",
        "b.tsv",
        "comments\tbias\nx\tnone\n",
        "row 1, field 'hate': missing column in the header (a BEEP! TSV file)",
    ),
    (
        "no text column",
        "o.csv",
        "sentence,label\nx,hate\n",
        "row 1: no text column in the header; expected a BEEP! TSV (comments, contain_gender_bias, bias, hate), "
        "an APEACH CSV (text,...,class,...) or text,label",
    ),
    ("extra field", "o.csv", "text,label\nx,hate,extra\n", "row 2: has 3 fields, the header has 2"),
    (
        "empty file",
        "o.csv",
        "",
        "empty file; expected a BEEP! TSV (comments, contain_gender_bias, bias, hate), "
        "an APEACH CSV (text,...,class,...) or text,label",
    ),
    ("header only", "o.csv", "text,label\n", "no examples after the header"),
    ("binary", "o.csv", b"text,label\n\x00\x01\x02", "row 2: binary file, expected UTF-8 text"),
    (
        "not UTF-8",
        "o.csv",
        "text,label\n나쁜,hate\n".encode("euc-kr"),
        "row 2: not UTF-8 text (bad byte at offset 11); save the file as UTF-8",
    ),
    (
        "bad JSON line",
        "o.jsonl",
        '{"text": "x", "label": "hate"}\n{"text": \n',
        "row 2: not valid JSON: Expecting value",
    ),
    ("JSONL without label", "o.jsonl", '{"text": "x"}\n', "row 1, field 'label': missing field"),
    (
        "JSONL non-string text",
        "o.jsonl",
        '{"text": 3, "label": "hate"}\n',
        "row 1, field 'text': expected a string",
    ),
    (
        "JSONL unknown label",
        "o.jsonl",
        '{"text": "x", "label": "Spoiled"}\n',
        "row 1, field 'label': unknown value 'Spoiled'; expected one of hate, not_hate",
    ),
]


@pytest.mark.parametrize(
    "name, content, message", [case[1:] for case in BAD_FILES], ids=[c[0] for c in BAD_FILES]
)
def test_bad_file_names_path_row_and_field(tmp_path, name, content, message):
    path = write(tmp_path, name, content)
    with pytest.raises(DataFileError) as caught:
        read_labeled(path)
    assert str(caught.value) == f"{path}{', ' if message.startswith('row') else ': '}{message}"


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(DataFileError, match="no such file"):
        read_labeled(tmp_path / "nope.tsv")
    with pytest.raises(DataFileError, match="is a directory"):
        read_labeled(tmp_path)
