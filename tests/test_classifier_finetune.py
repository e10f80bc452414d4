"""``classifier train --kind checkpoint``: fine-tuning a tiny BERT built here (no download)
on 200 BEEP! rows, one epoch on the CPU."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from tiny_bert import BEEP_LABELS, build_tiny_bert

from apeach_ls.classifier import load_classifier
from apeach_ls.classifier.checkpoint import CheckpointClassifier
from apeach_ls.cli.classifier import classifier

ROWS = 200


@pytest.fixture(scope="module")
def rows(beep_dir, tmp_path_factory):
    """The first 200 rows of BEEP! train as a TSV file, and their sentences."""
    lines = (
        (beep_dir / "train.tsv").read_text(encoding="utf-8").splitlines(keepends=True)[: ROWS + 1]
    )
    path = tmp_path_factory.mktemp("beep-200") / "train.tsv"
    path.write_text("".join(lines), encoding="utf-8")
    return path, [line.split("\t")[0] for line in lines[1:]]


@pytest.fixture(scope="module")
def finetuned(rows, tmp_path_factory):
    path, texts = rows
    # 3 labels (a new 2-label head is made); small initial weights, so one epoch reliably lowers the loss
    base = build_tiny_bert(
        tmp_path_factory.mktemp("tiny-base"), BEEP_LABELS, texts, initializer_range=0.02
    )
    out = tmp_path_factory.mktemp("models") / "tiny-ft"
    result = CliRunner().invoke(
        classifier,
        [
            "train",
            str(path),
            "--kind",
            "checkpoint",
            "--base",
            str(base),
            "--out",
            str(out),
            "--epochs",
            "1",
            "--batch-size",
            "16",
            "--lr",
            "2e-3",
            "--max-length",
            "128",
        ],
    )
    assert result.exit_code == 0, result.output
    return base, out, result


def test_fine_tuning_shows_progress_and_held_out_scores(finetuned, rows):
    _, out, result = finetuned
    assert re.search(r"fine-tuning: 100%\|#+\| 12/12 ", result.stderr)  # 180 examples / 16 per step
    assert "fine-tuning on 180 examples: 1 epoch(s), 12 steps" in result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"model {load_classifier(str(out)).version} saved to {out}"
    assert "held out: 20 of 200 examples of train.tsv (seed 0)" in lines
    assert "examples  20" in lines and sum(line.startswith("macro-F1  0.") for line in lines) == 1
    assert lines[-1] == f"use it: export APEACH_LS_MODEL={out}"


def test_the_saved_directory_loads_classifies_and_records_its_training(finetuned, rows):
    base, out, _ = finetuned
    model = load_classifier(str(out))
    assert isinstance(model, CheckpointClassifier)
    verdicts = model.classify(rows[1][:8])
    assert len(verdicts) == 8 and all(v.label in ("hate", "not_hate") for v in verdicts)
    assert model._model.config.id2label == {0: "not_hate", 1: "hate"}
    info = json.loads((out / "apeach_model.json").read_text(encoding="utf-8"))
    assert (
        info["version"] == model.version
        and info["base"] == str(base)
        and info["kind"] == "checkpoint"
    )
    assert info["data_file"] == str(rows[0].resolve()) and (info["examples"], info["held_out"]) == (
        180,
        20,
    )
    assert (
        info["held_out_scores"]["examples"] == 20 and 0 <= info["held_out_scores"]["macro_f1"] <= 1
    )
    assert info["params"]["lr"] == 2e-3 and info["params"]["epochs"] == 1


def test_the_loss_on_the_training_data_went_down(finetuned):
    _, out, result = finetuned
    loss = json.loads((out / "apeach_model.json").read_text(encoding="utf-8"))["training_loss"]
    assert loss["probe_after"] < loss["probe_before"]
    assert f"examples {loss['probe_before']:.4f} -> {loss['probe_after']:.4f}" in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--kind", "checkpoint"], "--kind checkpoint needs --base: a Hugging Face id"),
        (["--base", "hf:x/y"], "--base applies to --kind checkpoint only"),
        (
            ["--kind", "checkpoint", "--base", "{tmp}/missing"],
            "cannot load the base checkpoint '{tmp}/missing'",
        ),
    ],
)
def test_checkpoint_option_errors_are_one_line(rows, tmp_path, args, message):
    result = CliRunner().invoke(
        classifier,
        [
            "train",
            str(rows[0]),
            *(a.format(tmp=tmp_path) for a in args),
            "--out",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == 1, result.output
    assert result.stdout == "" and result.stderr.splitlines()[-1].startswith(
        "Error: " + message.format(tmp=tmp_path)
    )
    assert "Traceback" not in result.output
