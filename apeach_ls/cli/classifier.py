"""``apeach-ls classifier``: train and evaluate the pseudo-classifier."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Sequence

import click

from ..classifier.base import PseudoClassifier
from ..classifier.data import LabeledText, read_labeled
from ..classifier.loading import load_classifier, parse_label_map
from ..classifier.metrics import Scores, format_scores, score
from ..classifier.ngram import check_target, save_ngram, train_ngram
from ..classifier.training import check_trainable, split_holdout
from ..errors import ConfigError
from .common import fail_cleanly

BATCH = 256


def models_home() -> Path:
    """``$APEACH_LS_HOME/models`` (``APEACH_LS_HOME`` defaults to ``./apeach-ls-data``)."""
    return Path(os.environ.get("APEACH_LS_HOME", "apeach-ls-data")) / "models"


def _step(message: str) -> None:
    click.echo(f"{time.strftime('%H:%M:%S')} {message}", err=True)


def evaluate(model: PseudoClassifier, examples: Sequence[LabeledText], label: str) -> Scores:
    """Verdicts for every example (with a progress bar on stderr) scored against the gold labels."""
    verdicts = []
    with click.progressbar(length=len(examples), label=label, file=sys.stderr) as bar:
        for start in range(0, len(examples), BATCH):
            chunk = examples[start:start + BATCH]
            verdicts += model.classify([ex.text for ex in chunk])
            bar.update(len(chunk))
    return score([ex.label for ex in examples], [v.label for v in verdicts])


@click.group()
def classifier() -> None:
    """Train and evaluate the pseudo-classifier: the aid that shows writers a verdict.

    \b
    Example:
      apeach-ls classifier train ../shared/data/beep/train.tsv --out models/beep
      export APEACH_LS_MODEL=models/beep
      apeach-ls classifier eval ../shared/data/beep/dev.tsv
    """


@classifier.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Directory to save the model in. Default: $APEACH_LS_HOME/models/<version> "
                   "(APEACH_LS_HOME defaults to ./apeach-ls-data).")
@click.option("--kind", type=click.Choice(["ngram"]), default="ngram", show_default=True,
              help="Model kind: ngram = TF-IDF over character n-grams + logistic regression.")
@click.option("--holdout", type=click.FloatRange(0, 0.5), default=0.1, show_default=True,
              help="Fraction of FILE held out (stratified) to evaluate on; 0 trains on all of it. "
                   "The saved model is trained on the rest.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the held-out split.")
@click.option("--eval", "eval_file", type=click.Path(path_type=Path),
              help="Also evaluate the trained model on this labeled file.")
@click.option("--replace", is_flag=True, help="Overwrite an existing, non-empty --out directory.")
@fail_cleanly
def train(file: Path, out: Path | None, kind: str, holdout: float, seed: int, eval_file: Path | None,
          replace: bool) -> None:
    """Train a pseudo-classifier on a labeled FILE and save it.

    FILE is a BEEP! TSV (hate: none/offensive/hate; offensive counts as hate), an APEACH CSV
    (class: Spoiled/Default) or a text,label CSV/JSONL (hate/not_hate), as
    `apeach-ls submissions export` writes. Prints the model version and its scores.

    \b
    Example:
      apeach-ls classifier train train.tsv --eval dev.tsv --out models/beep
      export APEACH_LS_MODEL=models/beep
    """
    if out is not None:
        check_target(out, replace)
    examples = read_labeled(file)
    evaluation = read_labeled(eval_file) if eval_file is not None else None
    check_trainable(examples, str(file))
    training, held_out = split_holdout(examples, holdout, seed) if holdout else (examples, [])
    check_trainable(training, f"{file} (after holding out {len(held_out)} examples; try --holdout 0)")
    started = time.monotonic()
    model = train_ngram(training, on_step=_step)
    _step(f"trained in {time.monotonic() - started:.1f}s")
    target = out if out is not None else models_home() / model.version
    save_ngram(model, target, replace=replace or out is None,
               info={"trained_on": file.name, "examples": len(training), "held_out": len(held_out), "seed": seed})
    click.echo(f"model {model.version} saved to {target}")
    if held_out:
        click.echo(f"\nheld out: {len(held_out)} of {len(examples)} examples of {file.name} (seed {seed})")
        click.echo(format_scores(evaluate(model, held_out, "scoring held-out examples")))
    if evaluation is not None and eval_file is not None:
        click.echo(f"\nevaluation on {eval_file.name}")
        click.echo(format_scores(evaluate(model, evaluation, f"scoring {eval_file.name}")))
    click.echo(f"\nuse it: export APEACH_LS_MODEL={target}")


@classifier.command("eval")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--model", "spec", envvar="APEACH_LS_MODEL", show_envvar=True,
              help="The model: a saved model directory, a transformers checkpoint directory or "
                   "hf:<id>. Default: $APEACH_LS_MODEL.")
@click.option("--label-map", help="For a checkpoint whose labels are not hate/not_hate or "
                                  "none/offensive/hate: e.g. 'LABEL_0=not_hate,LABEL_1=hate'.")
@fail_cleanly
def eval_command(file: Path, spec: str | None, label_map: str | None) -> None:
    """Score a model on a labeled FILE: accuracy, macro-F1 and per-class precision/recall/F1.

    FILE is in any format `classifier train` reads; offensive counts as hate.

    \b
    Example:
      apeach-ls classifier eval dev.tsv --model apeach-ls-data/models/default
    """
    if not spec:
        raise ConfigError("no model: pass --model DIR (or hf:<id>) or set APEACH_LS_MODEL")
    examples = read_labeled(file)
    model = load_classifier(spec, parse_label_map(label_map) if label_map else None)
    scores = evaluate(model, examples, f"scoring {file.name}")
    click.echo(f"model     {model.version}\nfile      {file}")
    click.echo(format_scores(scores))
