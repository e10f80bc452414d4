"""Writing files and folders all or nothing: the one place that renames temporary files.

``write_file`` replaces one file: the bytes go into a temporary file in the same directory,
are fsynced, and the file is renamed over the target (``os.replace``), then the directory is
fsynced. A reader (another process too) sees the old file or the new one, never half of
one; after a power cut, the new one or the old one.

``write_folder`` does the same for a folder: ``fill(tmp)`` fills a temporary sibling
``.<name>.tmp-*`` (``write_files`` writes a mapping of files into it), every file and
directory in it is fsynced, and it is renamed into place in one step. Replacing an existing
folder moves it aside first (``.<name>.old-*/previous``), renames the new one in, then
deletes the old one. A process killed at any point leaves hidden siblings; the next
``write_folder`` of the same name cleans them up first (holding a lock on the parent
directory, so that it never touches a live run's folders): a previous folder found moved
aside while ``<name>`` is missing is put back, everything else is removed.

Both report their steps to an optional observer (:mod:`apeach_ls.steps`).
"""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from .steps import OnStep, no_steps

T = TypeVar("T")

# The steps write_files and write_folder report, in the order they are reached.
FILE_WRITTEN = "file_written"  # one file is in the folder being filled (once per file)
FOLDER_SYNCED = "folder_synced"  # the filled folder is on disk, not yet in place
FOLDER_MOVED_ASIDE = "folder_moved_aside"  # replacing: the previous folder is out of the way
FOLDER_IN_PLACE = "folder_in_place"  # the new folder has its final name (and is on disk)


def write_file(path: str | Path, data: bytes | str, *, mode: int = 0o666) -> Path:
    """Replace ``path`` with ``data`` (str: UTF-8) atomically and durably. ``mode``: the new
    file's permissions from its first byte (the umask applies), e.g. 0o600 for a secret."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
    return path


def write_files(folder: Path, files: Mapping[str, bytes], on_step: OnStep = no_steps) -> list[Path]:
    """Write name -> bytes under ``folder`` (names may contain "/"), in name order: the
    contents of a folder that ``write_folder`` is filling (it fsyncs them)."""
    paths = []
    for name in sorted(files):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[name])
        paths.append(path)
        on_step(FILE_WRITTEN)
    return paths


def write_folder(
    final: str | Path,
    fill: Callable[[Path], T],
    *,
    replace: bool = False,
    on_step: OnStep = no_steps,
) -> T:
    """Call ``fill(tmp)`` on a new temporary folder next to ``final``, then put it at
    ``final`` (see the module doc); returns what ``fill`` returns.

    An existing ``final`` that holds files is refused with ``FileExistsError`` unless
    ``replace`` (an empty one is replaced). On any error the temporary folder is removed
    and ``final`` is left as it was."""
    final = Path(final)
    parent = final.parent
    parent.mkdir(parents=True, exist_ok=True)
    with _locked(parent):
        clean_leftovers(final)
        if not replace and final.exists() and (not final.is_dir() or any(final.iterdir())):
            raise FileExistsError(errno.EEXIST, "already exists and holds files", str(final))
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=parent))
        try:
            result = fill(tmp)
            os.chmod(tmp, 0o755)  # mkdtemp makes it private; these folders are meant to be read
            fsync_tree(tmp)
            on_step(FOLDER_SYNCED)
            if final.exists():
                _swap(tmp, final, on_step)
            else:
                os.rename(tmp, final)
                fsync_dir(parent)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    on_step(FOLDER_IN_PLACE)
    return result


def clean_leftovers(final: Path) -> None:
    """Put back a previous ``final`` that a killed ``write_folder`` had moved aside; remove
    its other temporary folders. Call with the parent locked."""
    tmp_prefix, old_prefix = f".{final.name}.tmp-", f".{final.name}.old-"
    for path in sorted(final.parent.iterdir()):
        if path.name.startswith(old_prefix) and path.is_dir():
            previous = path / "previous"
            if previous.exists() and not final.exists():
                os.rename(previous, final)
            shutil.rmtree(path)
        elif path.name.startswith(tmp_prefix) and path.is_dir():
            shutil.rmtree(path)


def _swap(new: Path, final: Path, on_step: OnStep) -> None:
    """Move ``final`` aside, ``new`` into its place, then delete the old one (put back on failure)."""
    old = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-", dir=final.parent))
    os.rename(final, old / "previous")
    try:
        on_step(FOLDER_MOVED_ASIDE)
        os.rename(new, final)
    except BaseException:
        os.rename(old / "previous", final)
        shutil.rmtree(old, ignore_errors=True)
        raise
    fsync_dir(final.parent)
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """An exclusive lock on ``directory`` itself (so nothing is left behind)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """fsync every file and directory under ``root``."""
    for directory, _dirs, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(directory, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(directory))
