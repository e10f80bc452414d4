"""Writing model files safely: a target directory checked before training, atomic text files."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ConfigError


def check_target(directory: str | Path, replace: bool = False) -> Path:
    """ConfigError if ``directory`` holds files and ``replace`` is off: check before training."""
    directory = Path(directory)
    if directory.is_dir() and any(directory.iterdir()) and not replace:
        raise ConfigError(
            f"{directory} already exists and is not empty; use another directory "
            "or replace it (classifier train --replace)"
        )
    if directory.exists() and not directory.is_dir():
        raise ConfigError(f"{directory} is a file; the model needs a directory")
    return directory


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` beside ``path`` and rename it into place: readers (other processes
    too) see the old file or the new one, never half of it."""
    tmp = path.with_name(f".{path.name}.tmp.{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
