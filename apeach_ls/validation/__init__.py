"""Validation of fooled sentences (optional): other people say whether the writer's label of
a sentence that fooled the model is right. ``tally`` decides, ``assign`` says who gets
which sentence, ``store`` keeps the outcome in the campaign database. See the modules."""

from __future__ import annotations

from .assign import plan_assignments
from .model import (
    AGREEING,
    ANSWERS,
    MAX_ANSWERS,
    REJECTED,
    RIGHT,
    UNDECIDED,
    VERIFIED,
    WRONG,
    Decision,
    IgnoredAnswer,
    ValidationAnswer,
    ValidationResult,
)
from .tally import decide, tally, verified_by_validation

__all__ = [
    "AGREEING",
    "ANSWERS",
    "MAX_ANSWERS",
    "REJECTED",
    "RIGHT",
    "UNDECIDED",
    "VERIFIED",
    "WRONG",
    "Decision",
    "IgnoredAnswer",
    "ValidationAnswer",
    "ValidationResult",
    "decide",
    "plan_assignments",
    "tally",
    "verified_by_validation",
]
