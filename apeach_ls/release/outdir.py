"""Writing an output directory all or nothing: fill a temporary sibling, then rename it.

A reader never sees a half-written release: the files appear together when the
temporary directory is renamed into place. An existing non-empty directory is replaced
only when asked to.

A run killed halfway leaves hidden siblings: ``.<name>.tmp-*`` (a release being filled)
and ``.<name>.old-*`` (the previous release, moved aside while the new one is renamed in).
The next run for the same directory cleans them up first, holding a lock on the parent
directory so that it never touches another live run's folders: a previous release found
moved aside while ``<name>`` is missing is put back, everything else is removed.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from ..crashpoints import crash_point
from ..errors import ApeachError

T = TypeVar("T")


class OutputExists(ApeachError):
    """The output directory already holds files."""


def check_output_dir(out: Path, replace: bool) -> None:
    """Refuse a file, a path under a file, or a non-empty directory unless ``replace``;
    before any slow work."""
    try:
        if out.exists() and not out.is_dir():
            raise OutputExists(f"{out} is a file, not a directory; choose another --out")
        ancestor = out.parent
        while not ancestor.exists():
            ancestor = ancestor.parent
        if not ancestor.is_dir():
            raise OutputExists(
                f"--out {out}: {ancestor} is a file, not a directory; choose another --out"
            )
        if out.is_dir() and any(out.iterdir()) and not replace:
            raise OutputExists(
                f"Directory {out} is not empty. Use --replace to overwrite it, "
                "or choose another --out"
            )
    except OSError as exc:
        raise ApeachError(f"--out {out}: {exc.strerror}; choose another --out") from None


def write_atomically(out: Path, replace: bool, fill: Callable[[Path], T]) -> T:
    """Call ``fill(tmp)`` on a fresh temporary directory next to ``out``, then move it to ``out``.

    On any error the temporary directory is removed and ``out`` is left as it was; an
    error of the file system is a one-line ``ApeachError``.
    """
    out = Path(out)
    check_output_dir(out, replace)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with _parent_locked(out.parent):
            _clean_leftovers(out)
            check_output_dir(out, replace)  # again: a release put back counts
            tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
            try:
                result = fill(tmp)
                os.chmod(tmp, 0o755)  # mkdtemp makes it private; a release is meant to be read
                crash_point("release_filled")
                if out.exists():
                    _swap(tmp, out)
                else:
                    os.rename(tmp, out)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
    except OSError as exc:
        raise ApeachError(f"cannot write {out}: {exc.strerror}; nothing was changed") from None
    return result


@contextmanager
def _parent_locked(parent: Path) -> Iterator[None]:
    """An exclusive lock on ``parent`` (the directory itself, so nothing is left behind)."""
    fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _clean_leftovers(out: Path) -> None:
    """Put back a previous release that a killed run had moved aside; remove the rest."""
    tmp_prefix, old_prefix = f".{out.name}.tmp-", f".{out.name}.old-"
    for path in sorted(out.parent.iterdir()):
        if path.name.startswith(old_prefix) and path.is_dir():
            previous = path / "previous"
            if previous.is_dir() and not out.exists():
                os.rename(previous, out)
            shutil.rmtree(path)
        elif path.name.startswith(tmp_prefix) and path.is_dir():
            shutil.rmtree(path)


def _swap(new: Path, out: Path) -> None:
    """Move ``out`` aside, ``new`` into its place, then delete the old one (restored on failure)."""
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.rename(out, old / "previous")
    crash_point("release_moved_aside")
    try:
        os.rename(new, out)
    except BaseException:
        os.rename(old / "previous", out)
        shutil.rmtree(old, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
