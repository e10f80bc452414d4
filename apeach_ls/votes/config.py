"""Reads the roles of the tags in a vote labeling config.

Nothing downstream hard-codes tag names: roles are recognised by the machine values
(``alias``, else ``value``) of the choices. The decision is the Choices whose values are
exactly keep/drop, the reasons are the Choices whose values are exactly the drop reasons
(it must allow several), and the note is the one TextArea, if any.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError
from ..label_xml import choice_values, parse_label_config
from .model import DECISIONS, REASONS

OBJECT_TAGS = frozenset({"Text", "HyperText", "Paragraphs"})


@dataclass(frozen=True)
class VoteTags:
    """Tag names (``name`` attributes) of each role in a vote config."""

    object_name: str  # the object tag (the sentence) the decision points to (toName)
    decision: str
    reasons: str
    note: str | None = None  # free text for the reason "other"


DEFAULT_VOTE_TAGS = VoteTags(
    object_name="sentence", decision="decision", reasons="reasons", note="note"
)


def parse_vote_config(xml: str) -> VoteTags:
    """Find each role's tag in a labeling config; ConfigError says what is missing."""
    root = parse_label_config(xml, "Vote label config")
    choices = [e for e in root.iter("Choices")]
    decisions = [e for e in choices if choice_values(e) == set(DECISIONS)]
    reasons = [e for e in choices if choice_values(e) == set(REASONS)]
    notes = [e for e in root.iter("TextArea")]
    problems = []
    if len(decisions) != 1:
        problems.append(
            f"one Choices with values {'/'.join(DECISIONS)} (the decision); found {len(decisions)}"
        )
    if len(reasons) != 1:
        problems.append(
            f"one Choices with values {'/'.join(REASONS)} (the drop reasons); found {len(reasons)}"
        )
    elif reasons[0].get("choice") != "multiple":
        problems.append(
            'choice="multiple" on the reasons Choices (a drop may have several reasons)'
        )
    if len(notes) > 1:
        problems.append(f"at most one TextArea (the note); found {len(notes)}")
    if problems:
        raise ConfigError("Vote label config must have " + "; ".join(problems))
    object_name = decisions[0].get("toName", "")
    objects = {e.get("name") for e in root.iter() if e.tag in OBJECT_TAGS}
    if object_name not in objects:
        raise ConfigError(
            f"Vote label config: the decision points to toName={object_name!r}, "
            "which is not a Text tag; point it to the sentence's Text tag"
        )
    return VoteTags(
        object_name=object_name,
        decision=decisions[0].get("name", ""),
        reasons=reasons[0].get("name", ""),
        note=notes[0].get("name") if notes else None,
    )
