"""The crash hook the kill-and-rerun tests use.

``crash_point(name)`` does nothing unless the environment variable ``APEACH_CRASH_AT``
equals ``name``; then the process kills itself with SIGKILL on the spot (no cleanup, no
flushing: like a power cut for the process).
"""

from __future__ import annotations

import os
import signal

CRASH_ENV = "APEACH_CRASH_AT"


def crash_point(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
