"""Storing validation outcomes in the campaign database, so payouts and the figures read them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import Engine, delete, insert, select

from ..database.connection import now_iso, transaction
from ..database.schema import validation_tallies
from .model import REJECTED, VERIFIED, ValidationResult


def save_validation(engine: Engine, results: Iterable[ValidationResult]) -> int:
    """Replace the stored outcome of every tallied sentence, in one transaction."""
    at = now_iso()
    rows = [
        {
            "submission_id": r.submission_id,
            "status": r.decision.status,
            "rights": r.rights,
            "wrongs": r.wrongs,
            "tallied_at": at,
        }
        for r in results
    ]
    with transaction(engine) as conn:
        ids = [row["submission_id"] for row in rows]
        for start in range(0, len(ids), 500):
            conn.execute(
                delete(validation_tallies).where(
                    validation_tallies.c.submission_id.in_(ids[start : start + 500])
                )
            )
        if rows:
            conn.execute(insert(validation_tallies), rows)
    return len(rows)


def load_verified(engine: Engine) -> Mapping[int, bool]:
    """The stored ``verified_by_validation``: True validated right, False validated wrong;
    sentences not (yet) decided are absent."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(validation_tallies.c.submission_id, validation_tallies.c.status).where(
                validation_tallies.c.status.in_([VERIFIED, REJECTED])
            )
        )
        return {r.submission_id: r.status == VERIFIED for r in rows}
