"""The release files: the exact APEACH CSV that pandas and `datasets` read back byte-for-byte,
the extended JSONL / Parquet / Hugging Face directory, determinism, all-or-nothing writes,
and the CLI's messages before any Label Studio call."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from huggingface_hub import DatasetCard
from release_samples import TRICKY_TEXTS, fooling_sample, sample_rows

from apeach_ls.cli.release import export, report
from apeach_ls.errors import ApeachError
from apeach_ls.release import export as export_module
from apeach_ls.release.card import dataset_card
from apeach_ls.release.consistency import hold_back_repeats
from apeach_ls.release.export import write_release
from apeach_ls.release.outdir import OutputExists

HEADER = b"text,user_age,user_gender,text_topic,class,age,text_topic_eng\n"


@pytest.fixture(scope="module")
def rows():
    return sample_rows()


@pytest.fixture(scope="module")
def release(rows, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release") / "v1"
    write_release(rows, out, "sample")
    return out


def all_files(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_csv_header_is_exactly_the_apeach_schema_utf8_without_bom(release):
    data = (release / "apeach.csv").read_bytes()
    assert data.startswith(HEADER)  # no BOM, \n line end
    assert b"\r\n" not in data.replace("줄바꿈이\r\n두 종류".encode(), b"")  # \n terminators only
    assert '"ooo 같은 사람들은, 정말 ""최악""이야\n다들 꺼져",19,female,'.encode() in data


def test_pandas_reads_back_every_text_byte_for_byte(release, rows):
    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(release / "apeach.csv", keep_default_na=False, dtype=str)
    assert list(frame.columns) == HEADER.decode().strip().split(",")
    assert frame["text"].tolist() == [r.text for r in rows]
    assert frame["class"].tolist() == [r.apeach_class for r in rows]
    assert frame["age"].tolist() == ["" if r.age is None else str(r.age) for r in rows]
    assert frame["text_topic_eng"].tolist() == [r.text_topic_eng for r in rows]
    plain = pd.read_csv(
        release / "apeach.csv"
    )  # default options: the tricky first text survives too
    assert plain["text"][0] == TRICKY_TEXTS[0] and len(plain) == len(rows)


def test_datasets_csv_loader_reads_back_every_text(release, rows, tmp_path):
    datasets = pytest.importorskip("datasets")
    loaded = datasets.load_dataset(
        "csv",
        data_files=str(release / "apeach.csv"),
        keep_default_na=False,
        cache_dir=str(tmp_path / "cache"),
        split="train",
    )
    assert loaded.column_names == HEADER.decode().strip().split(",")
    assert loaded["text"] == [r.text for r in rows]
    default = datasets.load_dataset(
        "csv",
        data_files=str(release / "apeach.csv"),
        cache_dir=str(tmp_path / "cache2"),
        split="train",
    )
    assert default["text"][0] == TRICKY_TEXTS[0] and default["text"][1] == TRICKY_TEXTS[1]


def test_extended_jsonl_parquet_and_hf_directory(release, rows):
    pq = pytest.importorskip("pyarrow.parquet")
    datasets = pytest.importorskip("datasets")
    lines = (release / "extended.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    assert len(lines) == len(rows) and first == rows[0].extended()
    assert list(first)[:8] == [
        "id",
        "text",
        "user_age",
        "user_gender",
        "text_topic",
        "class",
        "age",
        "text_topic_eng",
    ]
    table = pq.read_table(release / "extended.parquet")
    assert table.num_rows == len(rows) and table.column("text").to_pylist() == [
        r.text for r in rows
    ]
    assert (
        table.column("reasons").to_pylist()[0] == []
        and table.column("lead_time").to_pylist()[3] is None
    )
    hf = datasets.load_from_disk(str(release / "hf"))
    assert hf["id"] == [r.id for r in rows] and hf["text"] == [r.text for r in rows]
    assert hf.info.license == "cc-by-sa-4.0"
    card = (release / "README.md").read_text(encoding="utf-8")
    meta = DatasetCard(card).data  # the Hugging Face dataset card fields
    assert card.startswith("---\n") and meta.license == "cc-by-sa-4.0"
    assert (meta.annotations_creators, meta.language_creators, meta.source_datasets) == (
        ["crowdsourced"],
        ["crowdsourced"],
        ["original"],
    )
    assert (meta.task_categories, meta.task_ids, meta.language) == (
        ["text-classification"],
        ["hate-speech-detection"],
        ["ko"],
    )
    assert "## Personal and sensitive information" in card and "## Limitations" in card
    assert "| 성별 고정관념에 기반한 발언 | Gender sterotypes | 4 | 2 | 6 |" in card
    assert "k managers" in card and "pseudo-classifier" in card


def test_a_second_export_is_byte_identical_hf_directory_included(release, rows, tmp_path):
    again = tmp_path / "again"
    write_release(list(reversed(rows)), again, "sample")  # the order of the input does not matter
    first, second = all_files(release), all_files(again)
    assert sorted(first) == sorted(second)
    assert {
        "apeach.csv",
        "extended.jsonl",
        "extended.parquet",
        "README.md",
        "hf/dataset_info.json",
        "hf/state.json",
        "hf/data-00000-of-00001.arrow",
    } <= set(first)
    assert [name for name in first if first[name] != second[name]] == []


def test_an_empty_release_is_refused(tmp_path):
    with pytest.raises(ApeachError, match="no accepted sentences"):
        write_release([], tmp_path / "none", "sample")
    assert not (tmp_path / "none").exists()


def test_license_option_reaches_the_card_and_the_hf_info(rows, tmp_path):
    out = tmp_path / "cc0"
    write_release(rows[:5], out, "sample", license="CC0 1.0")
    assert "license: cc0-1.0\n" in (out / "README.md").read_text(encoding="utf-8")


def test_refuses_a_non_empty_directory_and_replaces_all_or_nothing(rows, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("old")
    with pytest.raises(OutputExists, match=r"is not empty\. Use --replace to overwrite it"):
        write_release(rows[:3], out, "sample")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(export_module, "write_hf_dataset", broken)
    with pytest.raises(RuntimeError):
        write_release(rows[:3], out, "sample", replace=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"] and (out / "keep.txt").exists()
    monkeypatch.undo()

    write_release(rows[:3], out, "sample", replace=True)
    assert not (out / "keep.txt").exists() and (out / "apeach.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    empty = tmp_path / "empty"
    empty.mkdir()
    write_release(rows[:3], empty, "sample")  # an existing empty directory is fine
    assert (empty / "apeach.csv").exists()


@pytest.mark.parametrize("command", [export, report], ids=["export", "report"])
def test_help_has_an_example(command):
    result = CliRunner().invoke(command, ["--help"])
    assert result.exit_code == 0 and "Example" in result.output


@pytest.fixture
def config(tmp_path) -> Path:
    path = tmp_path / "campaign.toml"
    path.write_text('[campaign]\nname = "c1"\ndatabase = "c1.db"\n', encoding="utf-8")
    return path


@pytest.mark.parametrize("command", [export, report], ids=["export", "report"])
def test_nothing_tallied_yet_says_how_to_fix(command, config, tmp_path):
    result = CliRunner().invoke(
        command,
        ["--config", str(config), "--out", str(tmp_path / "o")],
        env={"APEACH_DATABASE_URL": None, "LABEL_STUDIO_URL": None},
    )
    assert result.exit_code == 1
    assert result.output == (
        f"Error: No submission of campaign 'c1' has been tallied yet, so nothing is accepted. "
        f"Run: apeach-ls votes tally --config {config}\n"
    )


def test_cli_checks_the_output_and_license_first(config, tmp_path):
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("x")
    result = CliRunner().invoke(export, ["--config", str(config), "--out", str(busy)])
    assert result.exit_code == 1
    assert (
        result.output
        == f"Error: Directory {busy} is not empty. Use --replace to overwrite it, or choose "
        "another --out\n"
    )
    result = CliRunner().invoke(
        export, ["--config", str(config), "--out", str(tmp_path / "n"), "--license", "CC/BY"]
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: --license 'CC/BY' is not a license identifier")


def test_the_card_says_in_one_line_how_many_were_held_back_and_why(rows):
    other_class = "Default" if rows[10].apeach_class == "Spoiled" else "Spoiled"
    conflict = replace(rows[10], submission_id=3001, apeach_class=other_class)
    duplicates = [
        replace(rows[11], submission_id=3002),
        replace(rows[11], submission_id=3003, text=rows[11].text + " "),
    ]
    consistent = hold_back_repeats([*rows, conflict, *duplicates])
    checksums = {"apeach.csv": "0" * 64}
    card = dataset_card("sample", consistent.rows, "cc-by-sa-4.0", checksums, consistent.held_back)
    assert [line for line in card.splitlines() if "held back" in line] == [
        "4 accepted submissions were held back (sentences compared after Unicode NFKC and whitespace collapsing): "
        "2 conflicts (1 sentence accepted with both classes, not released); "
        "2 duplicates of a released sentence with the same class."
    ]
    assert f"{len(rows) - 1} crowd-written sentences" in card
    without = dataset_card("sample", rows, "cc-by-sa-4.0", checksums)
    assert (
        "held back" not in without
        and dataset_card("sample", rows, "cc-by-sa-4.0", checksums, ()) == without
    )


def test_formula_like_sentences_are_released_byte_exact_and_the_card_says_so(rows, tmp_path):
    """Issue 13, case 11: operator CSVs are guarded; the released dataset is not."""
    import csv as csv_module
    import io

    formulas = ["=1+1", "@SUM(A1:A9)", "-2+3+cmd|' /C calc'!A0", "+82 10", "'=quoted"]
    tricky = [replace(row, text=text) for row, text in zip(rows, formulas)]
    out = tmp_path / "out"
    write_release(tricky, out, "sample")
    released = list(
        csv_module.DictReader(
            io.StringIO((out / "apeach.csv").read_bytes().decode("utf-8"), newline="")
        )
    )
    assert sorted(r["text"] for r in released) == sorted(formulas)
    card = (out / "README.md").read_text(encoding="utf-8")
    assert (
        "- `text`: the sentence, byte for byte as written (may contain commas, quotes and newlines). It is not "
        "altered for spreadsheets: a text that starts with `=`, `+`, `-` or `@` would run as a formula in Excel, "
        "LibreOffice or Google Sheets, so read the files with code (below) or import them as text."
    ) in card


def test_extended_files_carry_round_model_version_fooled_and_verified(rows, tmp_path):
    tagged = [
        replace(r, round="r2" if i % 2 else "r1", model_version=f"ng-{i % 2}", verified=r.fooled)
        for i, r in enumerate(rows)
    ]
    records, rounds = fooling_sample()
    out = tmp_path / "tagged"
    write_release(tagged, out, "sample", fooling=records, rounds=rounds)
    lines = [
        json.loads(line)
        for line in (out / "extended.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert [(e["round"], e["model_version"], e["fooled"], e["verified"]) for e in lines[:3]] == [
        ("r1", "ng-0", rows[0].fooled, rows[0].fooled),
        ("r2", "ng-1", rows[1].fooled, rows[1].fooled),
        ("r1", "ng-0", rows[2].fooled, rows[2].fooled),
    ]
    pq = pytest.importorskip("pyarrow.parquet")
    table = pq.read_table(out / "extended.parquet")
    assert table.column("round").to_pylist() == [r.round for r in tagged]
    assert table.column("verified").to_pylist() == [r.verified for r in tagged]
    datasets = pytest.importorskip("datasets")
    assert datasets.load_from_disk(str(out / "hf"))["model_version"] == [
        r.model_version for r in tagged
    ]


def test_the_apeach_csv_does_not_change_with_rounds(release, rows, tmp_path):
    tagged = [replace(r, round="r9", model_version="x", verified=True) for r in rows]
    write_release(tagged, tmp_path / "tagged", "sample")
    assert (tmp_path / "tagged" / "apeach.csv").read_bytes() == (
        release / "apeach.csv"
    ).read_bytes()
    assert (release / "apeach.csv").read_bytes().startswith(HEADER)


def test_the_card_shows_mer_and_vmer_per_round_and_model_version_deterministically(rows):
    records, rounds = fooling_sample()
    checksums = {"apeach.csv": "0" * 64}
    card = dataset_card("sample", rows, "cc-by-sa-4.0", checksums, (), records, rounds)
    assert "| r1 | 4 | 2 | 50.0% | 1 | 25.0% | 1 |" in card
    assert "| r2 | 5 | 1 | 20.0% | 1 | 20.0% | 0 |" in card
    assert "| all | 9 | 3 | 33.3% | 2 | 22.2% | 1 |" in card
    assert "| ng-b | 5 | 1 | 20.0% | 1 | 20.0% | 0 |" in card
    assert "Over all 9 submissions of the campaign" in card
    again = dataset_card(
        "sample", list(rows), "cc-by-sa-4.0", dict(checksums), (), list(records), list(rounds)
    )
    assert again.encode() == card.encode()
    assert "MER" not in dataset_card("sample", rows, "cc-by-sa-4.0", checksums)
    assert DatasetCard(card).data.pretty_name == "sample (APEACH-style)"
