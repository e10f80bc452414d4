"""Writing an output directory all or nothing: fill a temporary sibling, then rename it.

A reader never sees a half-written release: the files appear together when the
temporary directory is renamed into place. An existing non-empty directory is replaced
only when asked to.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, TypeVar

from ..errors import ApeachError

T = TypeVar("T")


class OutputExists(ApeachError):
    """The output directory already holds files."""


def check_output_dir(out: Path, replace: bool) -> None:
    """Refuse a file, or a non-empty directory unless ``replace``; before any slow work."""
    if out.exists() and not out.is_dir():
        raise OutputExists(f"{out} is a file, not a directory; choose another --out")
    if out.is_dir() and any(out.iterdir()) and not replace:
        raise OutputExists(f"Directory {out} is not empty. Use --replace to overwrite it, "
                           "or choose another --out")


def write_atomically(out: Path, replace: bool, fill: Callable[[Path], T]) -> T:
    """Call ``fill(tmp)`` on a fresh temporary directory next to ``out``, then move it to ``out``.

    On any error the temporary directory is removed and ``out`` is left as it was.
    """
    out = Path(out)
    check_output_dir(out, replace)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        result = fill(tmp)
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; a release is meant to be read
        if out.exists():
            _swap(tmp, out)
        else:
            os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return result


def _swap(new: Path, out: Path) -> None:
    """Move ``out`` aside, ``new`` into its place, then delete the old one (restored on failure)."""
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.rename(out, old / "previous")
    try:
        os.rename(new, out)
    except BaseException:
        os.rename(old / "previous", out)
        shutil.rmtree(old, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
