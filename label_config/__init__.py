"""Labeling configs shipped with apeach-ls (Label Studio XML)."""

from __future__ import annotations

from importlib import resources


def load(name: str) -> str:
    """The XML of a shipped config by name, e.g. ``load("generation")``."""
    return resources.files(__name__).joinpath(f"{name}.xml").read_text(encoding="utf-8")
