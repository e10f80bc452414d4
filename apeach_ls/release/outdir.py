"""Writing an output directory all or nothing: fill a temporary sibling, then rename it.

A reader never sees a half-written release: the files appear together when the
temporary directory is renamed into place (:func:`apeach_ls.atomic.write_folder`). An
existing non-empty directory is replaced only when asked to.

A run killed halfway leaves hidden siblings: ``.<name>.tmp-*`` (a release being filled)
and ``.<name>.old-*`` (the previous release, moved aside while the new one is renamed in).
The next run for the same directory cleans them up first: a previous release found moved
aside while ``<name>`` is missing is put back, everything else is removed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ..atomic import write_folder
from ..errors import ApeachError
from ..steps import OnStep, no_steps

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


def write_atomically(
    out: Path, replace: bool, fill: Callable[[Path], T], on_step: OnStep = no_steps
) -> T:
    """Call ``fill(tmp)`` on a fresh temporary directory next to ``out``, then move it to ``out``
    (:func:`apeach_ls.atomic.write_folder`, whose steps ``on_step`` sees).

    On any error the temporary directory is removed and ``out`` is left as it was; an
    error of the file system is a one-line ``ApeachError``.
    """
    out = Path(out)
    check_output_dir(out, replace)
    try:
        return write_folder(out, fill, replace=replace, on_step=on_step)
    except FileExistsError:  # found once leftovers were cleaned up: a release was put back
        check_output_dir(out, replace)
        raise ApeachError(f"cannot write {out}: it holds files; nothing was changed") from None
    except OSError as exc:
        raise ApeachError(f"cannot write {out}: {exc.strerror}; nothing was changed") from None
