"""The interface every pseudo-classifier implements, and the loader that picks one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from ..labels import Verdict


@runtime_checkable
class PseudoClassifier(Protocol):
    """Gives a verdict (label + confidence) for each sentence."""

    @property
    def version(self) -> str:
        """A short string that changes whenever the model's answers may change."""
        ...

    def classify(self, texts: Sequence[str]) -> list[Verdict]:
        """One verdict per text, in order. Must accept an empty list."""
        ...
