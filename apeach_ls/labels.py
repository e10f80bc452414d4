"""The label vocabulary shared by the labeling config, the classifier and the export.

Values are stable machine strings; the labeling config shows Korean text to people and
stores these values through ``alias``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Label = Literal["hate", "not_hate"]
HATE: Final[Label] = "hate"
NOT_HATE: Final[Label] = "not_hate"
LABELS: Final[tuple[Label, Label]] = (HATE, NOT_HATE)

Agreement = Literal["confirm", "flip"]
CONFIRM: Final[Agreement] = "confirm"
FLIP: Final[Agreement] = "flip"
AGREEMENTS: Final[tuple[Agreement, Agreement]] = (CONFIRM, FLIP)


def opposite(label: Label) -> Label:
    """The other label: what a flip turns a verdict into."""
    return NOT_HATE if label == HATE else HATE


def parse_label(value: str) -> Label:
    """Accept our own values; raise ValueError for anything else."""
    if value in LABELS:
        return value
    raise ValueError(f"unknown label {value!r}; expected one of {', '.join(LABELS)}")


@dataclass(frozen=True)
class Verdict:
    """The pseudo-classifier's label for a sentence and its confidence in that label (0.5-1)."""

    label: Label
    score: float

    @classmethod
    def from_hate_probability(cls, p_hate: float) -> Verdict:
        """hate when ``p_hate`` >= 0.5, scored by the probability of the label it gives."""
        return cls(HATE, p_hate) if p_hate >= 0.5 else cls(NOT_HATE, 1.0 - p_hate)
