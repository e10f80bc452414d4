"""The campaign's rounds as :mod:`apeach_ls.rounds` sees them, kept in the campaign database
(:mod:`apeach_ls.database.rounds`: one row per campaign and round name)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from .database.rounds import StoredRound, add_round, list_rounds, pin_model_version
from .rounds import Round, pin_model, start_round


def _round(stored: StoredRound) -> Round:
    return Round(stored.name, stored.started_at, stored.pinned_model_versions)


def load_rounds(engine: Engine, campaign: str) -> list[Round]:
    """The campaign's stored rounds in order of start (none: the campaign has one, implicit)."""
    return [_round(r) for r in list_rounds(engine, campaign)]


def store_start(engine: Engine, campaign: str, name: str, at: datetime) -> list[Round]:
    """Start round ``name`` at ``at`` (``rounds.start_round`` decides); the rounds after it."""
    for r in start_round(load_rounds(engine, campaign), name, at):
        add_round(engine, campaign, r.name, r.started_at, r.model_versions)
    return load_rounds(engine, campaign)


def store_pin(engine: Engine, campaign: str, name: str, model_version: str) -> Round:
    """Pin ``model_version`` to round ``name`` (``rounds.pin_model`` decides); the round after it."""
    stored = load_rounds(engine, campaign)
    wanted = pin_model(stored, name, model_version)
    if any(r.name == name for r in stored):
        return _round(pin_model_version(engine, campaign, name, model_version))
    return _round(
        add_round(engine, campaign, wanted.name, wanted.started_at, wanted.model_versions)
    )
