"""From a stored vote annotation's ``result`` list to (decision, reasons, note).

Label Studio stores the choices' aliases (keep/drop, copied/...). Rules:

* The decision must be present and be exactly one of keep/drop; otherwise the vote is
  malformed (``MalformedVote``). A cancelled (skipped) annotation has no result: check
  ``was_cancelled`` before parsing.
* A drop with no reason counts, with the reason ``other``: the manager's judgement is
  the vote, and a forgotten tick should not lose it.
* A keep with reasons keeps no reasons: they are left over from a drop that was changed
  to keep (the reasons are shown only while drop is chosen).
* An unknown reason value means the config and the code disagree: malformed.
* The note is the TextArea's text (lines joined by newlines, stripped); "" when absent.
  It is kept for a keep too.
* Items of other controls are ignored; the shapes of all items are checked as
  :mod:`apeach_ls.results` reads every result list (two items of one control, choices that
  are not a list of strings, ...: malformed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ApeachError
from ..results import MalformedResult, check_items, choices, choices_of, find_item, text_of
from .config import DEFAULT_VOTE_TAGS, VoteTags
from .model import DECISIONS, DROP, OTHER, REASONS, Decision, Reason


class MalformedVote(ApeachError):
    """A vote annotation lacks its decision or holds values the config does not define."""


@dataclass(frozen=True)
class ParsedVote:
    decision: Decision
    reasons: frozenset[Reason]
    note: str


def parse_vote_result(result: Sequence[Any], tags: VoteTags = DEFAULT_VOTE_TAGS) -> ParsedVote:
    """The decision, reasons and note of one vote annotation; MalformedVote says what is wrong."""
    try:
        items = check_items(result, "vote result")
        decision_item = find_item(items, tags.decision)
        named = choices_of(items, tags.reasons)
        note = text_of(items, tags.note) or ""
    except MalformedResult as exc:
        raise MalformedVote(str(exc)) from None
    if decision_item is None:
        raise MalformedVote(f"vote has no decision ({tags.decision!r} with {'/'.join(DECISIONS)})")
    decided = choices(decision_item)
    if len(decided) != 1 or decided[0] not in DECISIONS:
        raise MalformedVote(f"vote decision must be one of {'/'.join(DECISIONS)}, not {decided!r}")
    decision: Decision = decided[0]
    unknown = [r for r in named if r not in REASONS]
    if unknown:
        raise MalformedVote(
            f"vote has unknown reasons {unknown!r}; expected some of {', '.join(REASONS)}"
        )
    note = note.strip()
    if decision != DROP:
        return ParsedVote(decision, frozenset(), note)
    reasons: frozenset[Reason] = frozenset(named) or frozenset({OTHER})  # type: ignore[arg-type]
    return ParsedVote(decision, reasons, note)
