"""Killing a process at a chosen step, for the crash tests.

A child process gives the long operation it runs (a payout, a release folder, ``votes
create``) a ``KillAt`` observer (:mod:`apeach_ls.steps`): it logs every step the operation
reports to a file, and at the chosen step the process SIGKILLs itself, on the spot (no
cleanup, no flushing: like a power cut for the process). The test first lets a run go to
the end and reads the steps it logged, then kills a run at each of them in turn, so a new
step is killed at as soon as the code reports it.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

NEVER = "never"


class KillAt:
    """Log each step to ``log``; SIGKILL this process at ``at``: the step with that index
    (0-based, counting every report) when it is a number, else the first step of that name."""

    def __init__(self, log: str | Path, at: str = NEVER) -> None:
        self.log = Path(log)
        self.index = int(at) if at.isdigit() else None
        self.name = None if at.isdigit() or at == NEVER else at
        self.count = 0

    def __call__(self, step: str) -> None:
        fd = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"{step}\n".encode())
        finally:
            os.close(fd)
        if self.count == self.index or step == self.name:
            os.kill(os.getpid(), signal.SIGKILL)
        self.count += 1


def logged_steps(log: Path) -> list[str]:
    """The steps a child logged (none if it logged nothing); the log is emptied."""
    if not log.exists():
        return []
    steps = log.read_text(encoding="utf-8").splitlines()
    log.unlink()
    return steps
