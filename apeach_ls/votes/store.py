"""Storing tally results in the campaign database, so payouts and the export read them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import Engine, delete, insert, select

from ..database.connection import now_iso, transaction
from ..database.schema import vote_tallies
from .model import TallyResult


@dataclass(frozen=True)
class StoredTally:
    submission_id: int
    outcome: str
    reasons: tuple[str, ...]
    keeps: int
    drops: int
    tallied_at: str
    sentence_version: str | None = None  # the version of the sentence tallied (None: unknown)
    # how many counted drop votes named each reason; None: tallied before they were kept
    reason_counts: Mapping[str, int] | None = None


def save_tallies(engine: Engine, results: Iterable[TallyResult]) -> int:
    """Replace the stored outcome of every tallied submission, in one transaction."""
    at = now_iso()
    rows = [
        {
            "submission_id": r.submission_id,
            "outcome": r.outcome,
            "reasons": ",".join(sorted(r.reasons)),
            "keeps": r.keeps,
            "drops": r.drops,
            "tallied_at": at,
            "sentence_version": r.sentence_version,
            "reason_counts": json.dumps(dict(sorted(r.reason_counts.items()))),
        }
        for r in results
    ]
    with transaction(engine) as conn:
        ids = [row["submission_id"] for row in rows]
        for start in range(0, len(ids), 500):
            conn.execute(
                delete(vote_tallies).where(
                    vote_tallies.c.submission_id.in_(ids[start : start + 500])
                )
            )
        if rows:
            conn.execute(insert(vote_tallies), rows)
    return len(rows)


def load_tallies(engine: Engine) -> Mapping[int, StoredTally]:
    with engine.connect() as conn:
        return {
            r.submission_id: StoredTally(
                r.submission_id,
                r.outcome,
                tuple(filter(None, r.reasons.split(","))),
                r.keeps,
                r.drops,
                r.tallied_at,
                r.sentence_version,
                _reason_counts(r.reason_counts),
            )
            for r in conn.execute(select(vote_tallies))
        }


def _reason_counts(stored: str | None) -> dict[str, int] | None:
    if stored is None:
        return None
    counts = json.loads(stored)
    return {str(reason): int(n) for reason, n in counts.items()}
