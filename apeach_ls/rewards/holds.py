"""Writers on hold (``writer_quality``), as the quality check and the payout see them: the
campaign database's holds (``database.rounds``) as ``writer_quality.WriterHold``s.

``add_holds`` holds each writer who is not on hold already, ``release_holds`` releases a
writer's active holds; re-running either changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Engine

from ..database import rounds as stored
from ..writer_quality import WriterHold


def _pure(hold: stored.WriterHold) -> WriterHold:
    return WriterHold(hold.writer_id, hold.since, hold.reason, hold.released_at, hold.released_by)


def load_holds(engine: Engine, campaign: str) -> list[WriterHold]:
    """Every hold of the campaign, released or not."""
    return [_pure(h) for h in stored.list_holds(engine, campaign)]


def add_holds(
    engine: Engine, campaign: str, reasons: Mapping[int, str], since: datetime
) -> list[WriterHold]:
    """Hold each writer of ``reasons`` from ``since`` on, unless they are on hold already;
    the holds added."""
    active = {h.writer_id for h in stored.list_holds(engine, campaign, active_only=True)}
    return [
        _pure(stored.add_hold(engine, campaign, writer, since, reason))
        for writer, reason in sorted(reasons.items())
        if writer not in active
    ]


def release_holds(
    engine: Engine, campaign: str, writer_id: int, by: str, at: datetime
) -> list[WriterHold]:
    """Release the writer's active holds; the holds released (none: nothing to release)."""
    return [_pure(h) for h in stored.release_holds(engine, campaign, writer_id, by, at)]
