"""``apeach-ls classifier``: train and evaluate the pseudo-classifier."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

import click

from ..classifier import finetune as ft
from ..classifier.base import PseudoClassifier
from ..classifier.data import LabeledText, read_labeled
from ..classifier.files import check_target
from ..classifier.loading import load_classifier, parse_label_map
from ..classifier.metrics import Scores, format_scores, score
from ..classifier.ngram import save_ngram, train_ngram
from ..classifier.training import check_trainable, split_holdout
from ..errors import ConfigError
from .common import default_data_dir, fail_cleanly

BATCH = 256


def models_home() -> Path:
    """``$APEACH_LS_HOME/models`` (``APEACH_LS_HOME`` defaults to ``./apeach-ls-data``)."""
    return default_data_dir() / "models"


def _step(message: str) -> None:
    click.echo(f"{time.strftime('%H:%M:%S')} {message}", err=True)


def evaluate(model: PseudoClassifier, examples: Sequence[LabeledText], label: str) -> Scores:
    """Verdicts for every example (with a progress bar on stderr) scored against the gold labels."""
    verdicts = []
    with click.progressbar(length=len(examples), label=label, file=sys.stderr) as bar:
        for start in range(0, len(examples), BATCH):
            chunk = examples[start : start + BATCH]
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
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to save the model in. Default: $APEACH_LS_HOME/models/<version> "
    "(APEACH_LS_HOME defaults to ./apeach-ls-data).",
)
@click.option(
    "--kind",
    type=click.Choice(["ngram", "checkpoint"]),
    default="ngram",
    show_default=True,
    help="Model kind: ngram = TF-IDF over character n-grams + logistic regression; "
    "checkpoint = fine-tune a transformers model (--base) on the CPU.",
)
@click.option(
    "--base",
    help="checkpoint: the model to fine-tune, a Hugging Face id (from the local "
    "cache; hf: prefix optional) or a save_pretrained directory.",
)
@click.option(
    "--epochs",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="checkpoint: passes over FILE.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(1),
    default=16,
    show_default=True,
    help="checkpoint: examples per optimizer step.",
)
@click.option(
    "--lr",
    type=click.FloatRange(0, min_open=True),
    default=5e-5,
    show_default=True,
    help="checkpoint: AdamW learning rate (decays linearly to 0).",
)
@click.option(
    "--max-length",
    type=click.IntRange(8),
    default=128,
    show_default=True,
    help="checkpoint: tokens per sentence; longer ones are cut.",
)
@click.option(
    "--holdout",
    type=click.FloatRange(0, 0.5),
    default=0.1,
    show_default=True,
    help="Fraction of FILE held out (stratified) to evaluate on; 0 trains on all of it. "
    "The saved model is trained on the rest.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed of the held-out split (and of fine-tuning).",
)
@click.option(
    "--eval",
    "eval_file",
    type=click.Path(path_type=Path),
    help="Also evaluate the trained model on this labeled file.",
)
@click.option("--replace", is_flag=True, help="Overwrite an existing, non-empty --out directory.")
@fail_cleanly
def train(
    file: Path,
    out: Path | None,
    kind: str,
    base: str | None,
    epochs: int,
    batch_size: int,
    lr: float,
    max_length: int,
    holdout: float,
    seed: int,
    eval_file: Path | None,
    replace: bool,
) -> None:
    """Train a pseudo-classifier on a labeled FILE and save it.

    FILE is a BEEP! TSV (hate: none/offensive/hate; offensive counts as hate), an APEACH CSV
    (class: Spoiled/Default) or a text,label CSV/JSONL (hate/not_hate), as
    `apeach-ls submissions export` writes. Prints the model version and its scores.

    --kind checkpoint fine-tunes --base with a progress bar and saves a transformers
    checkpoint with apeach_model.json (version, base, data, held-out scores) beside it.

    \b
    Example:
      apeach-ls classifier train train.tsv --eval dev.tsv --out models/beep
      apeach-ls classifier train train.tsv --kind checkpoint --base hf:beomi/kcbert-base --out models/kcbert
      export APEACH_LS_MODEL=models/beep
    """
    if kind == "checkpoint" and not base:
        raise ConfigError(
            "--kind checkpoint needs --base: a Hugging Face id (hf:<id>, from the local cache) "
            "or a local checkpoint directory"
        )
    if kind == "ngram" and base:
        raise ConfigError(
            "--base applies to --kind checkpoint only; add --kind checkpoint or drop --base"
        )
    if out is not None:
        check_target(out, replace)
    examples = read_labeled(file)
    evaluation = read_labeled(eval_file) if eval_file is not None else None
    check_trainable(examples, str(file))
    training, held_out = split_holdout(examples, holdout, seed) if holdout else (examples, [])
    check_trainable(
        training, f"{file} (after holding out {len(held_out)} examples; try --holdout 0)"
    )
    info = {
        "trained_on": file.name,
        "examples": len(training),
        "held_out": len(held_out),
        "seed": seed,
    }
    if kind == "checkpoint":
        assert base is not None
        params = ft.FinetuneParams(
            epochs=epochs, batch_size=batch_size, lr=lr, max_length=max_length, seed=seed
        )
        model, target, loss = _finetune(base, training, params, out, replace)
        info = {
            "kind": "checkpoint",
            "version": model.version,
            "base": base,
            "data_file": str(file.resolve()),
            **info,
            "params": ft.params_json(params),
            "training_loss": loss,
        }
    else:
        started = time.monotonic()
        ngram = train_ngram(training, on_step=_step)
        _step(f"trained in {time.monotonic() - started:.1f}s")
        model, target = ngram, out if out is not None else models_home() / ngram.version
        save_ngram(ngram, target, replace=replace or out is None, info=info)
    click.echo(f"model {model.version} saved to {target}")
    if held_out:
        click.echo(
            f"\nheld out: {len(held_out)} of {len(examples)} examples of {file.name} (seed {seed})"
        )
        held_scores = evaluate(model, held_out, "scoring held-out examples")
        click.echo(format_scores(held_scores))
        info["held_out_scores"] = scores_json(held_scores)
    if evaluation is not None and eval_file is not None:
        click.echo(f"\nevaluation on {eval_file.name}")
        eval_scores = evaluate(model, evaluation, f"scoring {eval_file.name}")
        click.echo(format_scores(eval_scores))
        info["eval_scores"] = {"file": eval_file.name, **scores_json(eval_scores)}
    if kind == "checkpoint":
        ft.write_info(target, info)
    click.echo(f"\nuse it: export APEACH_LS_MODEL={target}")


def _finetune(
    base: str,
    training: Sequence[LabeledText],
    params: ft.FinetuneParams,
    out: Path | None,
    replace: bool,
) -> tuple[PseudoClassifier, Path, dict[str, float]]:
    """Fine-tune with a progress bar over steps (stderr), save, and return the saved model."""
    from tqdm import tqdm

    try:
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # ours is the one to watch
    except ImportError:
        pass  # ft.prepare says what to install
    steps = ft.steps_for(len(training), params)
    _step(f"loading {base}")
    prepared = ft.prepare(base, training, params)
    _step(f"fine-tuning on {len(training):,} examples: {params.epochs} epoch(s), {steps} steps")
    started = time.monotonic()
    with tqdm(total=steps, desc="fine-tuning", unit="step", file=sys.stderr, ascii=True) as bar:

        def advance(step: int, loss: float) -> None:
            bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
            bar.update(1)

        result = ft.train(prepared, training, params, on_step=advance)
    _step(
        f"trained in {time.monotonic() - started:.1f}s; loss on {min(ft.PROBE_SIZE, len(training))} training "
        f"examples {result.probe_loss_before:.4f} -> {result.probe_loss_after:.4f}"
    )
    target = out if out is not None else models_home() / ft.default_name(base, result.model)
    ft.save_finetuned(result, target, replace=replace or out is None)
    loss = {
        "probe_before": round(result.probe_loss_before, 4),
        "probe_after": round(result.probe_loss_after, 4),
        "last_step": round(result.losses[-1], 4),
    }
    return load_classifier(str(target)), target, loss


def scores_json(scores: Scores) -> dict[str, object]:
    return {
        "examples": scores.total,
        "accuracy": round(scores.accuracy, 4),
        "macro_f1": round(scores.macro_f1, 4),
        "per_class": {
            c.label: {
                "precision": round(c.precision, 4),
                "recall": round(c.recall, 4),
                "f1": round(c.f1, 4),
                "support": c.support,
            }
            for c in scores.per_class
        },
    }


@classifier.command("eval")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--model",
    "spec",
    envvar="APEACH_LS_MODEL",
    show_envvar=True,
    help="The model: a saved model directory, a transformers checkpoint directory, "
    "hf:<id> or a model registry. Default: $APEACH_LS_MODEL, else the one `apeach-ls up` serves "
    "($APEACH_LS_HOME/models/default, else the built-in model).",
)
@click.option(
    "--label-map",
    help="For a checkpoint whose labels are not hate/not_hate or "
    "none/offensive/hate: e.g. 'LABEL_0=not_hate,LABEL_1=hate'.",
)
@fail_cleanly
def eval_command(file: Path, spec: str | None, label_map: str | None) -> None:
    """Score a model on a labeled FILE: accuracy, macro-F1 and per-class precision/recall/F1.

    FILE is in any format `classifier train` reads; offensive counts as hate.

    \b
    Example:
      apeach-ls classifier eval dev.tsv --model apeach-ls-data/models/default
    """
    source = ""
    if not spec:
        from ..embedded import choose_model

        choice = choose_model(default_data_dir(), None)
        spec, source = choice.spec, f" ({choice.source})"
    examples = read_labeled(file)
    model = load_classifier(spec, parse_label_map(label_map) if label_map else None)
    scores = evaluate(model, examples, f"scoring {file.name}")
    click.echo(f"model     {model.version}{source}\nfile      {file}")
    click.echo(format_scores(scores))
