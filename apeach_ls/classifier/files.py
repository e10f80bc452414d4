"""A model's target directory, checked before training (files are written with
:mod:`apeach_ls.atomic`)."""

from __future__ import annotations

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
