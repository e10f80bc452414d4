"""Rounds and writer holds in the campaign database: add and list rounds; add, list and
release holds. Typed rows in, typed rows out; what they mean is decided elsewhere.

Re-running is safe: adding a round or a hold that is already stored with the same values
does nothing; the same key with other values is an error that names both.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, insert, select, update

from ..errors import ApeachError
from .connection import transaction
from .schema import rounds, writer_holds


class RoundConflict(ApeachError):
    """A round or a hold is already stored under the same key with other values."""


@dataclass(frozen=True)
class StoredRound:
    campaign: str
    name: str
    started_at: datetime  # timezone-aware (UTC)
    pinned_model_versions: tuple[str, ...] = ()  # empty: whatever the backend serves


@dataclass(frozen=True)
class WriterHold:
    campaign: str
    writer_id: int  # the writer's Label Studio user id
    since: datetime  # timezone-aware (UTC)
    reason: str
    released_at: datetime | None = None
    released_by: str | None = None

    @property
    def active(self) -> bool:
        return self.released_at is None


def _text(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string, not {value!r}")
    return value


def _aware(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, not {value!r}")
    return value


def _versions(text: str, campaign: str, name: str) -> tuple[str, ...]:
    try:
        versions = json.loads(text)
    except ValueError:
        versions = None
    if not isinstance(versions, list) or not all(isinstance(v, str) for v in versions):
        raise ApeachError(
            f"round {name!r} of campaign {campaign!r}: pinned_model_versions is not a JSON "
            f"list of strings: {text[:80]!r}"
        )
    return tuple(versions)


def _round(row) -> StoredRound:  # type: ignore[no-untyped-def]
    return StoredRound(
        row.campaign,
        row.name,
        row.started_at,
        _versions(row.pinned_model_versions, row.campaign, row.name),
    )


def add_round(
    engine: Engine,
    campaign: str,
    name: str,
    started_at: datetime,
    pinned_model_versions: Sequence[str] = (),
) -> StoredRound:
    """Store a round (once): the same round again is fine, another start or other versions
    under the same name is a ``RoundConflict``."""
    wanted = StoredRound(
        _text(campaign, "campaign"),
        _text(name, "round name"),
        _aware(started_at, "started_at"),
        tuple(_text(v, "model version") for v in pinned_model_versions),
    )
    with transaction(engine) as conn:
        row = conn.execute(
            select(rounds).where(rounds.c.campaign == campaign, rounds.c.name == name)
        ).first()
        if row is None:
            conn.execute(
                insert(rounds).values(
                    campaign=campaign,
                    name=name,
                    started_at=started_at,
                    pinned_model_versions=json.dumps(list(wanted.pinned_model_versions)),
                )
            )
            row = conn.execute(
                select(rounds).where(rounds.c.campaign == campaign, rounds.c.name == name)
            ).one()
    stored = _round(row)
    if stored != wanted:
        raise RoundConflict(
            f"round {name!r} of campaign {campaign!r} already started at "
            f"{stored.started_at.isoformat()} with model versions "
            f"{list(stored.pinned_model_versions)}; not {started_at.isoformat()} with "
            f"{list(wanted.pinned_model_versions)}: name the new round differently"
        )
    return stored


def list_rounds(engine: Engine, campaign: str) -> list[StoredRound]:
    """The campaign's rounds, earliest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(rounds)
            .where(rounds.c.campaign == campaign)
            .order_by(rounds.c.started_at, rounds.c.name)
        )
        return [_round(r) for r in rows]


def _hold(row) -> WriterHold:  # type: ignore[no-untyped-def]
    return WriterHold(
        row.campaign, row.writer_id, row.since, row.reason, row.released_at, row.released_by
    )


def _holds(conn: Connection, campaign: str, writer_id: int | None) -> list[WriterHold]:
    query = select(writer_holds).where(writer_holds.c.campaign == campaign)
    if writer_id is not None:
        query = query.where(writer_holds.c.writer_id == writer_id)
    rows = conn.execute(query.order_by(writer_holds.c.writer_id, writer_holds.c.since))
    return [_hold(r) for r in rows]


def add_hold(
    engine: Engine, campaign: str, writer_id: int, since: datetime, reason: str
) -> WriterHold:
    """Hold a writer from ``since`` for ``reason`` (once: the same hold again is fine)."""
    _text(campaign, "campaign")
    _text(reason, "hold reason")
    _aware(since, "since")
    if isinstance(writer_id, bool) or not isinstance(writer_id, int):
        raise ValueError(f"writer_id must be a Label Studio user id (an int), not {writer_id!r}")
    with transaction(engine) as conn:
        key = (
            writer_holds.c.campaign == campaign,
            writer_holds.c.writer_id == writer_id,
            writer_holds.c.since == since,
        )
        row = conn.execute(select(writer_holds).where(*key)).first()
        if row is None:
            conn.execute(
                insert(writer_holds).values(
                    campaign=campaign, writer_id=writer_id, since=since, reason=reason
                )
            )
            row = conn.execute(select(writer_holds).where(*key)).one()
    stored = _hold(row)
    if stored.reason != reason:
        raise RoundConflict(
            f"writer {writer_id} of campaign {campaign!r} is already held since "
            f"{stored.since.isoformat()} for {stored.reason!r}, not {reason!r}"
        )
    return stored


def list_holds(
    engine: Engine, campaign: str, writer_id: int | None = None, active_only: bool = False
) -> list[WriterHold]:
    """The campaign's holds (of one writer), by writer and then oldest first."""
    with engine.connect() as conn:
        holds = _holds(conn, campaign, writer_id)
    return [h for h in holds if h.active or not active_only]


def release_holds(
    engine: Engine, campaign: str, writer_id: int, released_by: str, released_at: datetime
) -> list[WriterHold]:
    """Release every active hold of the writer; returns the holds released now (none when
    there were none: releasing again is safe)."""
    _text(released_by, "released_by")
    _aware(released_at, "released_at")
    with transaction(engine) as conn:
        active = [h for h in _holds(conn, campaign, writer_id) if h.active]
        if active:
            conn.execute(
                update(writer_holds)
                .where(
                    writer_holds.c.campaign == campaign,
                    writer_holds.c.writer_id == writer_id,
                    writer_holds.c.released_at.is_(None),
                )
                .values(released_at=released_at, released_by=released_by)
            )
            released = {h.since for h in active}
            return [h for h in _holds(conn, campaign, writer_id) if h.since in released]
    return []


def pin_model_version(engine: Engine, campaign: str, name: str, model_version: str) -> StoredRound:
    """Add ``model_version`` to a stored round's pinned versions, in one locked transaction
    (pinning it again does nothing); a round that is not stored is a ``LookupError``."""
    _text(model_version, "model version")
    with transaction(engine) as conn:
        key = (rounds.c.campaign == campaign, rounds.c.name == name)
        row = conn.execute(select(rounds).where(*key)).first()
        if row is None:
            raise LookupError(f"campaign {campaign!r} has no round {name!r}")
        stored = _round(row)
        if model_version in stored.pinned_model_versions:
            return stored
        versions = (*stored.pinned_model_versions, model_version)
        conn.execute(
            update(rounds).where(*key).values(pinned_model_versions=json.dumps(list(versions)))
        )
    return StoredRound(campaign, name, stored.started_at, versions)
