"""Release and report folders, written all or nothing (issue 13, cases 9 and 12): an --out
under a file is a one-line error, and a run killed halfway leaves nothing behind that the
next run does not clean up (or put back, for a release that was being replaced)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from apeach_ls.cli import cli
from apeach_ls.crashpoints import CRASH_ENV
from apeach_ls.errors import ApeachError
from apeach_ls.release.outdir import write_atomically

REPO = Path(__file__).resolve().parents[1]
CHILD = """
import sys
from pathlib import Path
from apeach_ls.release.outdir import write_atomically

def fill(tmp):
    (tmp / "apeach.csv").write_text(sys.argv[2], encoding="utf-8")

write_atomically(Path(sys.argv[1]), True, fill)
"""


def write(out: Path, content: str, crash_at: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != CRASH_ENV}
    if crash_at:
        env[CRASH_ENV] = crash_at
    return subprocess.run(
        [sys.executable, "-c", CHILD, str(out), content],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_release_killed_while_filling_leaves_a_temporary_folder_the_next_run_removes(tmp_path):
    out = tmp_path / "rel"
    assert write(out, "v1", crash_at="release_filled").returncode == -signal.SIGKILL
    assert [n for n in listing(tmp_path) if n.startswith(".rel.tmp-")]  # what a kill leaves
    assert write(out, "v1").returncode == 0
    assert listing(tmp_path) == ["rel"] and (out / "apeach.csv").read_text(encoding="utf-8") == "v1"


def test_a_release_killed_while_replacing_gets_the_previous_one_back_first(tmp_path):
    out = tmp_path / "rel"
    assert write(out, "v1").returncode == 0
    assert write(out, "v2", crash_at="release_moved_aside").returncode == -signal.SIGKILL
    assert "rel" not in listing(tmp_path)  # v1 is inside .rel.old-*/previous, v2 in .rel.tmp-*

    def refuse(tmp):
        raise ApeachError("the next run fails early")

    with pytest.raises(ApeachError, match="fails early"):
        write_atomically(out, True, refuse)
    assert (
        listing(tmp_path) == ["rel"] and (out / "apeach.csv").read_text(encoding="utf-8") == "v1"
    )  # put back
    assert write(out, "v3").returncode == 0
    assert listing(tmp_path) == ["rel"] and (out / "apeach.csv").read_text(encoding="utf-8") == "v3"


def test_leftovers_of_other_folders_are_not_touched(tmp_path):
    (tmp_path / ".other.tmp-abc").mkdir()
    (tmp_path / ".rel2.tmp-abc").mkdir()
    assert write(tmp_path / "rel", "v1").returncode == 0
    assert listing(tmp_path) == [".other.tmp-abc", ".rel2.tmp-abc", "rel"]


@pytest.mark.parametrize(
    "out, message",
    [
        (
            "/dev/null/rel",
            "--out /dev/null/rel: /dev/null is a file, not a directory; choose another --out",
        ),
        (
            "{tmp}/file/rel",
            "--out {tmp}/file/rel: {tmp}/file is a file, not a directory; choose another --out",
        ),
    ],
)
def test_an_out_under_a_file_is_one_line(tmp_path, out, message):
    (tmp_path / "file").write_text("x")
    out, message = out.format(tmp=tmp_path), message.format(tmp=tmp_path)
    with pytest.raises(ApeachError) as caught:
        write_atomically(Path(out), False, lambda tmp: None)
    assert str(caught.value) == message
    config = tmp_path / "campaign.toml"
    config.write_text('[campaign]\nname = "c1"\ndatabase = "c1.db"\n', encoding="utf-8")
    for command in ("export", "report"):
        result = CliRunner().invoke(cli, [command, "--config", str(config), "--out", out])
        assert (result.exit_code, result.output) == (1, f"Error: {message}\n")
    assert not (tmp_path / "c1.db").exists()  # refused before anything else


def test_a_folder_that_cannot_be_written_is_one_line(tmp_path, monkeypatch):
    def no_space(*args, **kwargs):
        raise OSError(28, "No space left on device")

    with pytest.raises(
        ApeachError, match=r"cannot write .*rel: No space left on device; nothing was changed"
    ):
        write_atomically(tmp_path / "rel", False, no_space)
    assert listing(tmp_path) == []
