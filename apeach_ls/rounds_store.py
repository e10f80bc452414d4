"""The campaign's rounds in the campaign database: one row per (campaign, round name).

A thin shell over :mod:`apeach_ls.rounds`: the start time is stored timezone-aware (ISO
8601 with its offset), the pinned model versions as a JSON list.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    select,
)

from .rewards.db import transaction
from .rounds import Round
from .timestamps import parse_time

rounds_table = Table(
    "rounds",
    MetaData(),
    Column("campaign", String(200), nullable=False),
    Column("name", String(64), nullable=False),
    Column("started_at", String(40), nullable=False),
    Column("pinned_model_versions", Text, nullable=False),  # a JSON list of strings
    PrimaryKeyConstraint("campaign", "name"),
)


def _read(conn: Connection, campaign: str) -> list[Round]:
    rows = conn.execute(select(rounds_table).where(rounds_table.c.campaign == campaign)).all()
    rounds = []
    for row in rows:
        started = parse_time(row.started_at)
        if started is None:
            raise ValueError(f"round {row.name!r} has an unreadable start {row.started_at!r}")
        rounds.append(Round(row.name, started, tuple(json.loads(row.pinned_model_versions))))
    return sorted(rounds, key=lambda r: r.started_at)


def load_rounds(engine: Engine, campaign: str) -> list[Round]:
    """The campaign's stored rounds in order of start (none: the campaign has one, implicit)."""
    with transaction(engine) as conn:
        rounds_table.create(conn, checkfirst=True)
        return _read(conn, campaign)


def update_rounds(
    engine: Engine, campaign: str, change: Callable[[list[Round]], Sequence[Round]]
) -> list[Round]:
    """Store ``change(stored rounds)`` (new or changed rounds) in one locked transaction, so
    two runs never decide from the same stale list; returns the rounds after the change."""
    with transaction(engine) as conn:
        rounds_table.create(conn, checkfirst=True)
        stored = _read(conn, campaign)
        names = {r.name for r in stored}
        for r in change(stored):
            values = {
                "started_at": r.started_at.isoformat(),
                "pinned_model_versions": json.dumps(list(r.model_versions)),
            }
            if r.name in names:
                conn.execute(
                    rounds_table.update()
                    .where(rounds_table.c.campaign == campaign, rounds_table.c.name == r.name)
                    .values(**values)
                )
            else:
                conn.execute(rounds_table.insert().values(campaign=campaign, name=r.name, **values))
        return _read(conn, campaign)
