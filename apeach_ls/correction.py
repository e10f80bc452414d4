"""Label correction: from a stored generation annotation to the label the writer meant.

APEACH stores the label corrected to the writer's intent: the verdict when the writer
confirmed it, its opposite when the writer flipped it. A flip means the pseudo-classifier
was fooled (docs/method.md §3).

A verdict counts only when its receipt (:mod:`apeach_ls.receipts`) verifies for this
project, this task, the final sentence and the verdict the annotation shows. Otherwise the
submission is flagged ``verdict_unverified``: its label is the writer's intent and it is
never ``fooled``, so a forged, edited or hotkey-changed verdict earns nothing. Pure logic,
no I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .generation_config import DEFAULT_TAGS, GenerationTags
from .labels import AGREEMENTS, FLIP, LABELS, Agreement, Label, Verdict, opposite
from .receipts import ReceiptKey, SignedVerdict, verify
from .results import choices_of, lines_of, text_of


class Flag(enum.StrEnum):
    """Why a corrected submission deserves a second look."""

    INTENT_MISMATCH = "intent_mismatch"  # the final label is not what the writer said they meant
    NO_VERDICT = "no_verdict"  # no verdict and no receipt at all: the label is the writer's intent
    VERDICT_UNVERIFIED = (
        "verdict_unverified"  # a verdict whose receipt does not verify: the label is the intent
    )
    NO_AGREEMENT = "no_agreement"  # a verdict but no confirm/flip: the verdict stands


@dataclass(frozen=True)
class CorrectedSubmission:
    text: str
    intent: Label | None
    verdict: Verdict | None  # the verified verdict; None when none counts
    agreement: Agreement | None
    label: Label | None  # the corrected label; None only when neither verdict nor intent exist
    fooled: bool
    flags: frozenset[Flag]
    receipt: SignedVerdict | None = None  # what the verified receipt says (model version, time)
    shown_verdict: Label | None = None  # the verdict the annotation shows, verified or not
    unverified_reason: str | None = None  # why a shown verdict does not count

    @property
    def model_version(self) -> str | None:
        return self.receipt.model_version if self.receipt else None


@dataclass(frozen=True)
class ReceiptContext:
    """What a receipt must match: the shared key and where the annotation lives."""

    key: ReceiptKey
    project_id: int
    task_id: int


class IncompleteSubmission(ValueError):
    """The annotation lacks the sentence itself."""


def _single_choice(
    result: Sequence[Mapping[str, Any]], name: str, allowed: tuple[str, ...]
) -> str | None:
    """The control's one choice when it is one of ``allowed``; None otherwise (none, several or
    an unknown one: such a choice says nothing)."""
    chosen = choices_of(result, name)
    if len(chosen) != 1 or chosen[0] not in allowed:
        return None
    return chosen[0]


def extract_text(
    result: Sequence[Mapping[str, Any]], tags: GenerationTags = DEFAULT_TAGS
) -> str | None:
    """The writer's sentence (the TextArea's lines joined); None when the result has none."""
    return text_of(result, tags.text)


def shown_verdict(
    result: Sequence[Mapping[str, Any]], tags: GenerationTags = DEFAULT_TAGS
) -> Label | None:
    """The verdict label the annotation shows (whoever ticked it: only a receipt says it is the model's)."""
    return _single_choice(result, tags.verdict, LABELS)  # type: ignore[return-value]


def extract_receipts(
    result: Sequence[Mapping[str, Any]], tags: GenerationTags = DEFAULT_TAGS
) -> list[str]:
    """The receipt tokens stored with the annotation (an edit may have added a second one)."""
    return lines_of(result, tags.receipt or None)


def correct(
    result: Sequence[Mapping[str, Any]],
    tags: GenerationTags = DEFAULT_TAGS,
    receipts: ReceiptContext | None = None,
) -> CorrectedSubmission:
    """Derive the corrected submission from an annotation's ``result`` list.

    ``receipts`` says which key and which project/task a receipt must match; without it no
    verdict counts (every submission with a verdict is ``verdict_unverified``). A result of
    a shape Label Studio does not store is a :class:`~apeach_ls.results.MalformedResult`.
    """
    text = extract_text(result, tags)
    if text is None:
        raise IncompleteSubmission(f"annotation has no sentence in {tags.text!r}")
    intent: Label | None = _single_choice(result, tags.intent, LABELS)  # type: ignore[assignment]
    agreement: Agreement | None = _single_choice(result, tags.agreement, AGREEMENTS)  # type: ignore[assignment]
    shown = shown_verdict(result, tags)
    tokens = extract_receipts(result, tags)
    flags: set[Flag] = set()
    signed: SignedVerdict | None = None
    problem: str | None = None
    if shown is None and not tokens:
        flags.add(Flag.NO_VERDICT)
    elif receipts is None:
        problem = "receipts were not checked"
    else:
        check = verify(
            receipts.key,
            tokens,
            project_id=receipts.project_id,
            task_id=receipts.task_id,
            text=text,
            shown_label=shown,
        )
        signed, problem = check.signed, check.problem
    if signed is None:
        if Flag.NO_VERDICT not in flags:
            flags.add(Flag.VERDICT_UNVERIFIED)
        label, fooled, verdict = intent, False, None
    else:
        verdict = signed.verdict
        if agreement is None:
            flags.add(Flag.NO_AGREEMENT)
        fooled = agreement == FLIP
        label = opposite(verdict.label) if fooled else verdict.label
    if intent is not None and label is not None and intent != label:
        flags.add(Flag.INTENT_MISMATCH)
    return CorrectedSubmission(
        text=text,
        intent=intent,
        verdict=verdict,
        agreement=agreement,
        label=label,
        fooled=fooled,
        flags=frozenset(flags),
        receipt=signed,
        shown_verdict=shown,
        unverified_reason=problem if signed is None and Flag.VERDICT_UNVERIFIED in flags else None,
    )
