"""Guarding CSV cells that people open in a spreadsheet against formula injection.

Excel, LibreOffice and Google Sheets run a cell that starts with ``=``, ``+``, ``-`` or ``@``
(or a tab or carriage return before one) as a formula: a writer's sentence ``=HYPERLINK(...)``
or ``-2+3+cmd|' /C calc'!A0`` in an operator's CSV would run on their machine. ``guard``
puts an apostrophe in front of such a cell (the spreadsheet then shows it as text); plain
numbers such as ``-2.50`` stay numbers.

The guard is reversible: a cell that starts with apostrophes followed by a trigger gets one
more apostrophe, so ``unguard(guard(s)) == s`` for every string, and a tool that reads our
CSVs back (``classifier train`` on ``submissions export``) recovers the exact text.
The released dataset is never guarded: it keeps every sentence byte-exact.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_GUARD = re.compile(r"'*[=+\-@\t\r]")
_GUARDED = re.compile(r"'+[=+\-@\t\r]")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?\Z")


def guard(value: Any) -> str:
    """``value`` as CSV cell text that a spreadsheet shows and never runs."""
    text = "" if value is None else str(value)
    if _NUMBER.match(text) or not _GUARD.match(text):
        return text
    return "'" + text


def unguard(text: str) -> str:
    """The text ``guard`` was given (one apostrophe fewer in front of a guarded cell)."""
    return text[1:] if _GUARDED.match(text) else text


def guard_row(values: Iterable[Any]) -> list[str]:
    return [guard(v) for v in values]
