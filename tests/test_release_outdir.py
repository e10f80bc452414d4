"""Release and report folders, written all or nothing (issue 13, cases 9 and 12): an --out
under a file is a one-line error, and a run killed halfway leaves nothing behind that the
next run does not clean up (or put back, for a release that was being replaced)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from step_kills import NEVER, logged_steps

from apeach_ls.atomic import FOLDER_IN_PLACE, FOLDER_MOVED_ASIDE
from apeach_ls.cli import cli
from apeach_ls.errors import ApeachError
from apeach_ls.release.outdir import write_atomically

REPO = Path(__file__).resolve().parents[1]
CHILD = """
import sys
from pathlib import Path
sys.path.insert(0, "tests")
from step_kills import KillAt
from apeach_ls.release.outdir import write_atomically

def fill(tmp):
    (tmp / "apeach.csv").write_text(sys.argv[2], encoding="utf-8")

write_atomically(Path(sys.argv[1]), True, fill, on_step=KillAt(sys.argv[3], sys.argv[4]))
"""


def write(out: Path, content: str, kill_at: str = NEVER) -> tuple[int, list[str]]:
    """Write a release of ``content`` in a child process; its exit code and steps."""
    log = out.parent / "steps.log"
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(out), content, str(log), kill_at],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode in (0, -9), done.stderr
    return done.returncode, logged_steps(log)


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_release_killed_at_every_step_is_the_old_one_or_the_new_one_after_the_next_run(
    tmp_path,
):
    """Steps of a first release and of replacing it, logged by runs to the end; then a run
    is killed at each, and the next run (even one that fails) cleans up or puts back."""
    (tmp_path / "steps").mkdir()
    assert write(tmp_path / "steps" / "rel", "v1")[0] == 0
    code, replacing_steps = write(tmp_path / "steps" / "rel", "v2")
    assert code == 0 and FOLDER_MOVED_ASIDE in replacing_steps
    code, first_steps = write(tmp_path / "steps" / "other", "v1")
    assert code == 0 and first_steps[-1] == replacing_steps[-1] == FOLDER_IN_PLACE

    def refuse(tmp):
        raise ApeachError("the next run fails early")

    for replacing, steps in ((False, first_steps), (True, replacing_steps)):
        for index, step in enumerate(steps):
            folder = tmp_path / f"{'replace' if replacing else 'first'}-{index}"
            folder.mkdir()
            if replacing:
                assert write(folder / "rel", "v1")[0] == 0
            assert write(folder / "rel", "v2", str(index)) == (-9, steps[: index + 1])
            leftovers = [name for name in listing(folder) if name.startswith(".rel.")]
            assert bool(leftovers) == (step != FOLDER_IN_PLACE), (step, listing(folder))
            with pytest.raises(ApeachError, match="fails early"):
                write_atomically(folder / "rel", True, refuse)
            release = "v2" if step == FOLDER_IN_PLACE else "v1" if replacing else None
            assert listing(folder) == (["rel"] if release else []), (replacing, step)
            if release:
                assert (folder / "rel" / "apeach.csv").read_text(encoding="utf-8") == release
            assert write(folder / "rel", "v3")[0] == 0
            assert (folder / "rel" / "apeach.csv").read_text(encoding="utf-8") == "v3"
            assert listing(folder) == ["rel"]


def test_leftovers_of_other_folders_are_not_touched(tmp_path):
    (tmp_path / ".other.tmp-abc").mkdir()
    (tmp_path / ".rel2.tmp-abc").mkdir()
    assert write(tmp_path / "rel", "v1")[0] == 0
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
