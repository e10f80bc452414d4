"""File-system primitives for crash-safe payouts. The crash hook (``crash_point``) lives in
:mod:`apeach_ls.crashpoints`; the crash test runs a payout in a subprocess once per step
name in ``payout.CRASH_STEPS``."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..crashpoints import CRASH_ENV, crash_point  # noqa: F401  (re-exported)


def write_durable(path: Path, data: bytes) -> None:
    """Write a file and fsync it. A crash halfway leaves a partial file, which only ever
    happens inside a batch's temporary directory (discarded and rewritten on re-run)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        half = len(data) // 2
        handle.write(data[:half])
        handle.flush()
        crash_point("file_half_written")
        handle.write(data[half:])
        handle.flush()
        os.fsync(handle.fileno())


def write_rendered_files(files: dict[str, bytes], out_dir: Path) -> list[Path]:
    """Write name -> bytes under ``out_dir`` (names may contain "/"), each fsynced."""
    paths = []
    for name, data in sorted(files.items()):
        write_durable(out_dir / name, data)
        paths.append(out_dir / name)
    return paths


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    """fsync every directory under ``root`` (files were fsynced when written)."""
    for directory, _dirs, _files in os.walk(root):
        fsync_dir(Path(directory))


def remove_tree(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path)


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by its relative POSIX path."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
