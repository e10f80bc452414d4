#!/usr/bin/env python3
"""Rebuild the pseudo-classifier shipped with apeach-ls (apeach_ls/data/default_model).

It is the default n-gram model with smaller features: character 1-3-grams that occur in at
least two BEEP! train comments (44k features, under 1 MB), trained on all of BEEP! train.tsv
(CC BY-SA 4.0; see apeach_ls/data/default_model/README.md). Deterministic: the same data and
library versions give the same files and the same model version.

    python scripts/train_default_model.py                      # BEEP! from ../shared/data/beep
    python scripts/train_default_model.py --beep DIR --out DIR

Prints the macro-F1 on BEEP! dev.tsv (0.78; the full-size default reaches 0.79).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from apeach_ls.classifier.data import read_labeled  # noqa: E402
from apeach_ls.classifier.metrics import score  # noqa: E402
from apeach_ls.classifier.ngram import NgramParams, save_ngram, train_ngram  # noqa: E402
from apeach_ls.classifier.training import check_trainable  # noqa: E402

PARAMS = NgramParams(min_df=2, ngram_max=3)
SHIPPED_MODEL_DIR = REPO / "apeach_ls" / "data" / "default_model"


def default_beep_dir() -> Path:
    if os.environ.get("APEACH_BEEP_DIR"):
        return Path(os.environ["APEACH_BEEP_DIR"])
    return next(
        (
            p / "shared" / "data" / "beep"
            for p in REPO.parents
            if (p / "shared" / "data" / "beep" / "train.tsv").is_file()
        ),
        REPO.parent / "shared/data/beep",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--beep",
        type=Path,
        default=None,
        help="BEEP! folder with train.tsv and dev.tsv "
        "(default: $APEACH_BEEP_DIR, else shared/data/beep beside the repository)",
    )
    parser.add_argument(
        "--out", type=Path, default=SHIPPED_MODEL_DIR, help="model directory (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    beep = args.beep or default_beep_dir()
    train = read_labeled(beep / "train.tsv")
    check_trainable(train, str(beep / "train.tsv"))
    model = train_ngram(train, PARAMS)
    save_ngram(
        model,
        args.out,
        replace=True,
        info={
            "trained_on": "BEEP! train.tsv (CC BY-SA 4.0)",
            "examples": len(train),
            "rebuild": "python scripts/train_default_model.py",
        },
    )
    dev = read_labeled(beep / "dev.tsv")
    scores = score(
        [ex.label for ex in dev], [v.label for v in model.classify([ex.text for ex in dev])]
    )
    print(
        f"{model.version}: {len(model.terms):,} features, macro-F1 {scores.macro_f1:.4f} on BEEP! dev "
        f"({scores.total} comments); saved to {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
