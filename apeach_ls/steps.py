"""Step observers: how a long operation tells its caller what it has just done.

A long operation (a payout's batch, a release folder, a vote round's imports) takes an
optional ``on_step`` callable and calls it with a step name (a constant of the module that
reports it) right after each step is done, so that a caller can follow along: the CLI
prints progress from it, and the crash tests stop the process at each step in turn. An
observer only watches: the operation never depends on what it does.
"""

from __future__ import annotations

from collections.abc import Callable

OnStep = Callable[[str], None]


def no_steps(step: str) -> None:
    """The observer of a caller that does not follow the steps."""
