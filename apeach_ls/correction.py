"""Label correction: from a stored generation annotation to the label the writer meant.

APEACH stores the label corrected to the writer's intent: the verdict when the writer
confirmed it, its opposite when the writer flipped it. A flip means the pseudo-classifier
was fooled. Pure logic, no I/O.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from .generation_config import DEFAULT_TAGS, GenerationTags
from .labels import AGREEMENTS, FLIP, LABELS, Agreement, Label, Verdict, opposite


class Flag(str, enum.Enum):
    """Why a corrected submission deserves a second look."""

    INTENT_MISMATCH = "intent_mismatch"  # the final label is not what the writer said they meant
    NO_VERDICT = "no_verdict"  # the backend gave no verdict: the label is the writer's intent
    TEXT_CHANGED = "text_changed"  # the sentence was edited after its verdict
    NO_AGREEMENT = "no_agreement"  # a verdict but no confirm/flip: the verdict stands


@dataclass(frozen=True)
class CorrectedSubmission:
    text: str
    intent: Label | None
    verdict: Verdict | None
    agreement: Agreement | None
    label: Label | None  # the corrected label; None only when neither verdict nor intent exist
    fooled: bool
    flags: frozenset[Flag]


class IncompleteSubmission(ValueError):
    """The annotation lacks the sentence itself."""


def _find(result: Sequence[Mapping[str, Any]], name: str) -> Mapping[str, Any] | None:
    for item in result:
        if item.get("from_name") == name:
            return item
    return None


def _single_choice(item: Mapping[str, Any] | None, allowed: tuple[str, ...]) -> str | None:
    if item is None:
        return None
    choices = (item.get("value") or {}).get("choices") or []
    if len(choices) != 1 or choices[0] not in allowed:
        return None
    return choices[0]


def extract_text(result: Sequence[Mapping[str, Any]], tags: GenerationTags = DEFAULT_TAGS) -> str | None:
    """The writer's sentence from a result list (Label Studio stores TextArea text as a list)."""
    item = _find(result, tags.text)
    if item is None:
        return None
    texts = (item.get("value") or {}).get("text")
    if isinstance(texts, str):
        return texts
    if isinstance(texts, list) and texts and all(isinstance(t, str) for t in texts):
        return "\n".join(texts)
    return None


def extract_verdict(result: Sequence[Mapping[str, Any]], tags: GenerationTags = DEFAULT_TAGS) -> Verdict | None:
    """The backend's verdict. Label Studio keeps no "came from the model" marker, but the
    backend always sends a score and a writer's own tick has none: no score, no verdict."""
    item = _find(result, tags.verdict)
    label = _single_choice(item, LABELS)
    score = item.get("score") if item is not None else None
    if label is None or isinstance(score, bool) or not isinstance(score, (int, float)):
        return None
    return Verdict(label=label, score=float(score))  # type: ignore[arg-type]


def correct(
    result: Sequence[Mapping[str, Any]],
    tags: GenerationTags = DEFAULT_TAGS,
    recheck: Verdict | None = None,
) -> CorrectedSubmission:
    """Derive the corrected submission from an annotation's ``result`` list.

    ``recheck`` is the classifier's verdict on the *final* text (the backend computes it
    when the annotation arrives). If it differs from the stored verdict, the text was
    changed after the writer saw the verdict, and the submission is flagged.
    """
    text = extract_text(result, tags)
    if text is None:
        raise IncompleteSubmission(f"annotation has no sentence in {tags.text!r}")
    intent: Label | None = _single_choice(_find(result, tags.intent), LABELS)  # type: ignore[assignment]
    agreement: Agreement | None = _single_choice(_find(result, tags.agreement), AGREEMENTS)  # type: ignore[assignment]
    verdict = extract_verdict(result, tags)
    flags: set[Flag] = set()

    if verdict is None:
        flags.add(Flag.NO_VERDICT)
        label, fooled = intent, False
    else:
        if agreement is None:
            flags.add(Flag.NO_AGREEMENT)
        fooled = agreement == FLIP
        label = opposite(verdict.label) if fooled else verdict.label
        if recheck is not None and not _same_verdict(recheck, verdict):
            flags.add(Flag.TEXT_CHANGED)
    if intent is not None and label is not None and intent != label:
        flags.add(Flag.INTENT_MISMATCH)
    return CorrectedSubmission(
        text=text, intent=intent, verdict=verdict, agreement=agreement,
        label=label, fooled=fooled, flags=frozenset(flags),
    )


def _same_verdict(a: Verdict, b: Verdict, tolerance: float = 1e-3) -> bool:
    return a.label == b.label and abs(a.score - b.score) <= tolerance
