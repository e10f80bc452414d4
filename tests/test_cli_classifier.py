"""``apeach-ls classifier train`` and ``eval`` through click's CliRunner."""

from __future__ import annotations

import shutil

import pytest
from beep import beep_path
from click.testing import CliRunner

from apeach_ls.classifier import load_classifier
from apeach_ls.cli.classifier import classifier

HEADER = "comments\tcontain_gender_bias\tbias\thate\n"


@pytest.fixture(scope="module")
def slices(tmp_path_factory):
    """The first 600 rows of BEEP! train and the first 150 of dev, as small TSV files."""
    beep, directory = beep_path(), tmp_path_factory.mktemp("beep-slices")
    for name, rows in (("train.tsv", 600), ("dev.tsv", 150)):
        lines = (beep / name).read_text(encoding="utf-8").splitlines(keepends=True)
        (directory / name).write_text("".join(lines[: rows + 1]), encoding="utf-8")
    return directory


@pytest.fixture(scope="module")
def trained(slices, tmp_path_factory):
    out = tmp_path_factory.mktemp("models") / "small"
    result = CliRunner().invoke(
        classifier,
        ["train", str(slices / "train.tsv"), "--out", str(out), "--eval", str(slices / "dev.tsv")],
    )
    assert result.exit_code == 0, result.output
    return out, result


def test_train_saves_prints_version_and_evaluations(trained):
    out, result = trained
    version = load_classifier(str(out)).version
    lines = result.stdout.splitlines()
    assert lines[0] == f"model {version} saved to {out}"
    assert "held out: 60 of 600 examples of train.tsv (seed 0)" in lines
    assert "evaluation on dev.tsv" in lines and "examples  150" in lines
    assert sum(line.startswith("macro-F1  0.") for line in lines) == 2
    assert lines[-1] == f"use it: export APEACH_LS_MODEL={out}"
    assert "fitting logistic regression" in result.stderr


def test_eval_reads_the_model_from_the_environment(trained, slices):
    out, _ = trained
    result = CliRunner().invoke(
        classifier, ["eval", str(slices / "dev.tsv")], env={"APEACH_LS_MODEL": str(out)}
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"model     {load_classifier(str(out)).version}"
    assert lines[2] == "examples  150"
    assert lines[3].startswith("accuracy  0.") and lines[4].startswith("macro-F1  0.")
    assert lines[6] == "label     precision  recall  f1      support"
    assert lines[7].startswith("hate      ") and lines[8].startswith("not_hate  ")


def test_eval_with_model_option_matches_train_report(trained, slices):
    out, train_result = trained
    result = CliRunner().invoke(classifier, ["eval", str(slices / "dev.tsv"), "--model", str(out)])
    assert result.exit_code == 0, result.output
    report = result.stdout.split("\n", 2)[2]
    assert report in train_result.stdout


def test_default_out_is_under_apeach_ls_home(slices, tmp_path):
    result = CliRunner().invoke(
        classifier,
        ["train", str(slices / "train.tsv"), "--holdout", "0"],
        env={"APEACH_LS_HOME": str(tmp_path)},
    )
    assert result.exit_code == 0, result.output
    [saved] = (tmp_path / "models").iterdir()
    assert saved.name == load_classifier(str(saved)).version
    assert "held out" not in result.stdout


def _bad_tsv(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text(HEADER + "좋다\tFalse\tnone\tnone\n싫다\tFalse\tnone\trude\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["train", "eval"])
def test_bad_file_is_a_one_line_error_naming_row_and_field(trained, tmp_path, command):
    path = _bad_tsv(tmp_path)
    result = CliRunner().invoke(
        classifier,
        [command, str(path), "--model", str(trained[0])][: 2 if command == "train" else 4],
    )
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {path}, row 3, field 'hate': unknown value 'rude'; "
        "expected one of none, offensive, hate\n"
    )


@pytest.mark.parametrize(
    "args, env, message",
    [
        (
            ["eval", "{dev}", "--model", "{tmp}/none"],
            {},
            "no model directory {tmp}/none; train one with",
        ),
        (
            ["train", "{tmp}/one-label.tsv"],
            {},
            "{tmp}/one-label.tsv: no not_hate examples to train on",
        ),
        (["train", "{train}", "--out", "{out}"], {}, "{out} already exists and is not empty"),
    ],
)
def test_other_errors_exit_1_with_a_message(trained, slices, tmp_path, args, env, message):
    (tmp_path / "one-label.tsv").write_text(HEADER + "싫다\tFalse\tnone\thate\n", encoding="utf-8")
    values = {
        "dev": slices / "dev.tsv",
        "train": slices / "train.tsv",
        "tmp": tmp_path,
        "out": trained[0],
    }
    result = CliRunner().invoke(classifier, [a.format(**values) for a in args], env=env)
    assert result.exit_code == 1
    assert result.output.startswith("Error: " + message.format(**values))
    assert result.output.count("\n") == 1 and "Traceback" not in result.output


@pytest.mark.parametrize("command", ["train", "eval"])
def test_help_has_an_example(command):
    result = CliRunner().invoke(classifier, [command, "--help"])
    assert result.exit_code == 0 and "Example" in result.output


def test_eval_without_a_model_scores_the_one_up_serves(trained, slices, tmp_path):
    """No --model, no APEACH_LS_MODEL: the model `up` trained into $APEACH_LS_HOME, else the built-in one."""
    home = tmp_path / "home"
    result = CliRunner().invoke(
        classifier,
        ["eval", str(slices / "dev.tsv")],
        env={"APEACH_LS_MODEL": "", "APEACH_LS_HOME": str(home)},
    )
    assert result.exit_code == 0, result.output
    assert "(built in: trained on BEEP! (CC BY-SA 4.0" in result.output
    shutil.copytree(trained[0], home / "models" / "default")
    result = CliRunner().invoke(
        classifier,
        ["eval", str(slices / "dev.tsv")],
        env={"APEACH_LS_MODEL": "", "APEACH_LS_HOME": str(home)},
    )
    assert result.exit_code == 0, result.output
    assert f"(trained into {home / 'models' / 'default'})" in result.output
