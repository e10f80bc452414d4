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
* Items of other controls are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ApeachError
from .config import DEFAULT_VOTE_TAGS, VoteTags
from .model import DECISIONS, DROP, OTHER, REASONS, Decision, Reason


class MalformedVote(ApeachError):
    """A vote annotation lacks its decision or holds values the config does not define."""


@dataclass(frozen=True)
class ParsedVote:
    decision: Decision
    reasons: frozenset[Reason]
    note: str


def _find(result: Sequence[Any], name: str | None) -> Mapping[str, Any] | None:
    found = [item for item in result if isinstance(item, Mapping) and item.get("from_name") == name]
    if len(found) > 1:
        raise MalformedVote(
            f"vote result has {len(found)} items from {name!r}; expected at most one"
        )
    return found[0] if found else None


def _choices(item: Mapping[str, Any] | None, name: str) -> list[str]:
    if item is None:
        return []
    values = (item.get("value") or {}).get("choices")
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise MalformedVote(
            f"vote result item {name!r} has no list of choices: {item.get('value')!r}"
        )
    return values


def _note(item: Mapping[str, Any] | None) -> str:
    if item is None:
        return ""
    text = (item.get("value") or {}).get("text")
    if isinstance(text, str):
        return text.strip()
    if isinstance(text, list) and all(isinstance(t, str) for t in text):
        return "\n".join(text).strip()
    raise MalformedVote(f"vote note has no text: {item.get('value')!r}")


def parse_vote_result(result: Sequence[Any], tags: VoteTags = DEFAULT_VOTE_TAGS) -> ParsedVote:
    """The decision, reasons and note of one vote annotation; MalformedVote says what is wrong."""
    if not isinstance(result, Sequence) or isinstance(result, (str, bytes)):
        raise MalformedVote(
            f"vote result must be a list of result items, not {type(result).__name__}"
        )
    decision_item = _find(result, tags.decision)
    if decision_item is None:
        raise MalformedVote(f"vote has no decision ({tags.decision!r} with {'/'.join(DECISIONS)})")
    decided = _choices(decision_item, tags.decision)
    if len(decided) != 1 or decided[0] not in DECISIONS:
        raise MalformedVote(f"vote decision must be one of {'/'.join(DECISIONS)}, not {decided!r}")
    decision: Decision = decided[0]
    named = _choices(_find(result, tags.reasons), tags.reasons)
    unknown = [r for r in named if r not in REASONS]
    if unknown:
        raise MalformedVote(
            f"vote has unknown reasons {unknown!r}; expected some of {', '.join(REASONS)}"
        )
    note = _note(_find(result, tags.note)) if tags.note else ""
    if decision != DROP:
        return ParsedVote(decision, frozenset(), note)
    reasons: frozenset[Reason] = frozenset(named) or frozenset({OTHER})  # type: ignore[arg-type]
    return ParsedVote(decision, reasons, note)
