"""Run the apeach-ls CLI in this process, stopped at a step, for the crash tests.

    python tests/cli_child.py STEP_LOG KILL_AT COMMAND [ARGS...]

The command's long operations report their steps to the CLI's ``StepWatcher`` (click's
``obj``): each is appended to STEP_LOG, and at KILL_AT (a step's index, or its name: see
step_kills.KillAt) the process SIGKILLs itself.
"""

from __future__ import annotations

import sys

from step_kills import KillAt

from apeach_ls.cli import cli
from apeach_ls.cli.common import StepWatcher

if __name__ == "__main__":
    log, kill_at, *args = sys.argv[1:]
    cli.main(args, prog_name="apeach-ls", obj=StepWatcher(KillAt(log, kill_at)))
