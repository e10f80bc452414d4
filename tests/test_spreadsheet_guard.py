"""Operator-facing CSVs are guarded against spreadsheet formulas (issue 13, case 11);
the guard is reversible, and `classifier train` reads the exact sentences back."""

from __future__ import annotations

import csv
import io

import pytest
from click.testing import CliRunner

from apeach_ls.campaign import Campaign
from apeach_ls.cli import cli
from apeach_ls.correction import CorrectedSubmission
from apeach_ls.labelstudio.submissions import Submission

FORMULAS = ["=1+1", "@SUM(A1:A9)", "-2+3+cmd|' /C calc'!A0", "+1", "\t=1", "\r=1", "'=1+1", "''@x"]
HARMLESS = ["보통 문장입니다", "-2.50", "17", "it's fine", "'quoted", ""]


def test_guard_marks_formulas_and_is_reversible():
    from apeach_ls.spreadsheet import guard, unguard

    for text in FORMULAS:
        assert guard(text).startswith("'"), text
        assert unguard(guard(text)) == text
    for text in HARMLESS:
        assert guard(text) == text and unguard(guard(text)) == text


def submission(submission_id: int, text: str) -> Submission:
    corrected = CorrectedSubmission(
        text=text,
        intent="hate",
        verdict=None,
        agreement=None,
        label="hate",
        fooled=False,
        flags=frozenset(),
    )
    return Submission(
        submission_id=submission_id,
        task_id=1,
        writer_id=3,
        prompt={"prompt_id": '=HYPERLINK("x")', "topic": "@t", "topic_eng": "Diets"},
        created_at="2026-01-01T00:00:00Z",
        lead_time=1.5,
        corrected=corrected,
    )


@pytest.fixture
def exported(monkeypatch, tmp_path):
    monkeypatch.setattr(
        Campaign,
        "submissions",
        property(lambda self: [submission(i, t) for i, t in enumerate(FORMULAS + ["plain"], 1)]),
    )
    env = {
        "LABEL_STUDIO_URL": "http://127.0.0.1:9",
        "LABEL_STUDIO_API_KEY": "x" * 40,
        "APEACH_LS_MODEL": "",
    }
    out = tmp_path / "submissions.csv"
    result = CliRunner().invoke(cli, ["submissions", "export", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    return out


def test_submissions_export_guards_every_cell_that_a_spreadsheet_would_run(exported):
    rows = list(csv.DictReader(io.StringIO(exported.read_bytes().decode("utf-8"), newline="")))
    assert [r["text"] for r in rows] == ["'" + t for t in FORMULAS] + ["plain"]
    assert {r["prompt_id"] for r in rows} == {'\'=HYPERLINK("x")'} and {
        r["topic"] for r in rows
    } == {"'@t"}
    for row in rows:
        for value in row.values():
            assert not value or value[0] not in "=+-@\t\r", row


def test_classifier_training_reads_the_exact_sentences_back(exported):
    from apeach_ls.classifier.data import read_labeled

    assert [e.text for e in read_labeled(exported)] == FORMULAS + ["plain"]


@pytest.mark.parametrize(
    "target, message",
    [
        (
            "/dev/null/submissions.csv",
            "Error: /dev/null is not a directory, so /dev/null/submissions.csv cannot be "
            "written; choose another --out",
        ),
    ],
)
def test_a_bad_out_is_one_line_before_label_studio_is_read(target, message, tmp_path, monkeypatch):
    monkeypatch.setattr(
        Campaign, "label_studio", property(lambda self: pytest.fail("Label Studio was read"))
    )
    env = {"LABEL_STUDIO_URL": "http://127.0.0.1:9", "LABEL_STUDIO_API_KEY": "x" * 40}
    result = CliRunner().invoke(
        cli, ["submissions", "export", "--out", target.format(tmp=tmp_path)], env=env
    )
    assert (result.exit_code, result.output) == (1, message.format(tmp=tmp_path) + "\n")
