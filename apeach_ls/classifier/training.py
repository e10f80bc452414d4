"""Train the default n-gram pseudo-classifier from a labeled file and save it: the one call
``apeach-ls up`` and ``apeach-ls classifier train`` share."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import DataFileError
from ..labels import HATE, NOT_HATE
from .data import LabeledText, read_labeled
from .files import check_target
from .ngram import NgramParams, save_ngram, train_ngram


def train_and_save(
    data_file: str | Path,
    model_dir: str | Path,
    *,
    replace: bool = False,
    params: NgramParams | None = None,
    on_step: Callable[[str], None] | None = None,
) -> str:
    """Read ``data_file`` (any format :func:`read_labeled` knows), train on all of it, save to
    ``model_dir``; returns the model version."""
    check_target(model_dir, replace)
    examples = read_labeled(data_file)
    check_trainable(examples, str(data_file))
    model = train_ngram(examples, params, on_step=on_step)
    save_ngram(
        model,
        model_dir,
        replace=replace,
        info={"trained_on": Path(data_file).name, "examples": len(examples)},
    )
    return model.version


def split_holdout(
    examples: Sequence[LabeledText], fraction: float, seed: int = 0
) -> tuple[list[LabeledText], list[LabeledText]]:
    """A seeded stratified split: about ``fraction`` of each label held out, file order kept."""
    held: set[int] = set()
    rng = random.Random(seed)
    for label in sorted({ex.label for ex in examples}):
        indices = [i for i, ex in enumerate(examples) if ex.label == label]
        rng.shuffle(indices)
        held.update(indices[: round(len(indices) * fraction)])
    return (
        [ex for i, ex in enumerate(examples) if i not in held],
        [ex for i, ex in enumerate(examples) if i in held],
    )


def check_trainable(examples: Sequence[LabeledText], source: str) -> None:
    """DataFileError unless both labels occur (a one-label model would say the same to everyone)."""
    labels = {ex.label for ex in examples}
    if labels != {HATE, NOT_HATE}:
        missing = NOT_HATE if HATE in labels else HATE
        raise DataFileError(
            source, f"no {missing} examples to train on; training needs both labels"
        )
