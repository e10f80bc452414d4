"""Where the BEEP! corpus is: $APEACH_BEEP_DIR, else shared/data/beep beside the repo (or
beside one of its parent folders, for a checkout one level deeper)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def beep_path() -> Path:
    """The BEEP! folder (train.tsv, dev.tsv); fails the test when it is missing."""
    if os.environ.get("APEACH_BEEP_DIR"):
        path = Path(os.environ["APEACH_BEEP_DIR"])
    else:
        candidates = [folder / "shared" / "data" / "beep" for folder in REPO.parents]
        path = next((c for c in candidates if (c / "train.tsv").is_file()), candidates[0])
    if not (path / "train.tsv").is_file() or not (path / "dev.tsv").is_file():
        pytest.fail(f"BEEP! corpus not found at {path}; set APEACH_BEEP_DIR")
    return path
