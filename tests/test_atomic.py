"""apeach_ls.atomic: files and folders written all or nothing, and the steps they report.
(Killing a process at each step: tests/test_release_outdir.py, tests/test_rewards_crash.py.)"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from apeach_ls.atomic import (
    FILE_WRITTEN,
    FOLDER_IN_PLACE,
    FOLDER_MOVED_ASIDE,
    FOLDER_SYNCED,
    write_file,
    write_files,
    write_folder,
)


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_write_file_replaces_the_whole_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "sub" / "current"
    write_file(path, "v1\n")
    write_file(path, b"v2\n")
    assert path.read_bytes() == b"v2\n" and listing(path.parent) == ["current"]


def test_write_file_gives_a_secret_its_mode_from_the_first_byte(tmp_path):
    path = write_file(tmp_path / "secret", "s3cret\n", mode=0o600)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_failed_write_file_leaves_the_old_file(tmp_path):
    path = write_file(tmp_path / "current", "v1\n")
    with pytest.raises(TypeError):
        write_file(path, 42)  # type: ignore[arg-type]
    assert path.read_text() == "v1\n" and listing(tmp_path) == ["current"]


def test_write_folder_reports_each_step_and_replaces_only_when_asked(tmp_path):
    final, steps = tmp_path / "batch", []
    files = {"b.csv": b"b", "statements/a.csv": b"a", "summary.json": b"{}"}
    written = write_folder(
        final, lambda tmp: write_files(tmp, files, steps.append), on_step=steps.append
    )
    assert [p.name for p in written] == ["b.csv", "a.csv", "summary.json"]  # in name order
    assert steps == [FILE_WRITTEN] * 3 + [FOLDER_SYNCED, FOLDER_IN_PLACE]
    assert (final / "statements" / "a.csv").read_bytes() == b"a" and listing(tmp_path) == ["batch"]
    assert stat.S_IMODE(final.stat().st_mode) == 0o755
    with pytest.raises(FileExistsError):
        write_folder(final, lambda tmp: write_files(tmp, {"x": b"x"}))
    assert listing(final) == ["b.csv", "statements", "summary.json"]  # untouched
    steps.clear()
    write_folder(
        final, lambda tmp: write_files(tmp, {"x": b"x"}), replace=True, on_step=steps.append
    )
    assert steps == [FOLDER_SYNCED, FOLDER_MOVED_ASIDE, FOLDER_IN_PLACE]
    assert listing(final) == ["x"] and listing(tmp_path) == ["batch"]


def test_a_failed_fill_leaves_the_folder_as_it_was(tmp_path):
    final = tmp_path / "release"
    write_folder(final, lambda tmp: write_files(tmp, {"v1": b"1"}))

    def fail(tmp: Path) -> None:
        (tmp / "half").write_text("written")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_folder(final, fail, replace=True)
    assert listing(tmp_path) == ["release"] and listing(final) == ["v1"]
