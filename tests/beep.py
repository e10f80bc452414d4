"""Where the BEEP! corpus is: $APEACH_BEEP_DIR, else ../shared/data/beep beside the repo."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def beep_path() -> Path:
    """The BEEP! folder (train.tsv, dev.tsv); fails the test when it is missing."""
    path = Path(os.environ.get("APEACH_BEEP_DIR") or REPO.parent / "shared" / "data" / "beep")
    if not (path / "train.tsv").is_file() or not (path / "dev.tsv").is_file():
        pytest.fail(f"BEEP! corpus not found at {path}; set APEACH_BEEP_DIR")
    return path
