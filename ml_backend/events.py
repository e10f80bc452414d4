"""What the backends heard through the webhook, kept where every backend and the retrainer see it.

Any number of backend processes (and gunicorn workers) receive Label Studio's webhook; one
retrainer process acts on it. They meet in one SQLite file on the shared storage the model
registry lives on (``<registry>/campaign-events.sqlite``, :data:`EVENTS_FILE`):

* ``annotations``: each annotation counted once, by id, whichever backend the event reached.
  Label Studio may deliver the same event twice, or UPDATED before CREATED; an event older
  than what is known (by ``updated_at``, compared as times) changes nothing. Only ids and
  times are kept: webhook bodies are a trigger, never training data (retraining reads the
  annotations from Label Studio).
* ``training_requests``: a START_TRAINING that reached any backend (while one waits for the
  retrainer, more add nothing: a flood of them is one row and one round).
* ``retrainer``: what the retrainer has consumed (so each annotation and request triggers at
  most one round) and its last status, which every backend's ``/health`` shows.

Why a file and not the retrainer polling Label Studio: a webhook costs the backend one small
transaction, while finding new annotations by polling means listing every project's
annotations again and again; and START_TRAINING only ever reaches a backend. SQLite needs
the file on a disk with working POSIX locks (a Docker volume or a local disk, not NFS);
it runs in WAL mode, so /health and /metrics read without waiting for a writer, and a
write waits at most :data:`BUSY_TIMEOUT` seconds (then the webhook answers 503).
Without a registry (no retraining) the log is in memory, per process: it only decides
whether a webhook is answered ``ok`` or ``duplicate``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apeach_ls.errors import ConfigError

EVENTS_FILE = "campaign-events.sqlite"
# How long a write waits for another process's transaction before giving up (the webhook then
# answers 503): short, so a locked file never holds a backend thread that /predict needs.
BUSY_TIMEOUT = 5.0
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS annotations (
    annotation_id INTEGER PRIMARY KEY,
    updated_us INTEGER,                 -- newest updated_at seen, microseconds since 1970 (UTC)
    deleted INTEGER NOT NULL DEFAULT 0,
    arrival INTEGER                     -- order first seen (NULL if only ever seen deleted)
);
CREATE TABLE IF NOT EXISTS training_requests (
    request INTEGER PRIMARY KEY AUTOINCREMENT,
    reason TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS retrainer (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Pending:
    """What reached the backends since the retrainer's last round."""

    new_annotations: int
    requests: tuple[str, ...]  # reasons of the training requests not yet handled
    last_arrival: int
    last_request: int


def _micros(when: datetime | None) -> int | None:
    return None if when is None else (when - _EPOCH) // timedelta(microseconds=1)


class SubmissionLog:
    """The webhook's annotations and training requests; ``path`` None keeps them in memory."""

    def __init__(self, path: Path | str | None = None, busy_timeout: float = BUSY_TIMEOUT):
        self.path = Path(path) if path is not None else None
        self.busy_timeout = busy_timeout
        self._lock = threading.Lock()
        self._memory: sqlite3.Connection | None = None
        if self.path is None:
            self._memory = sqlite3.connect(
                ":memory:", check_same_thread=False, isolation_level=None
            )
        try:
            if self._memory is None:
                # WAL: readers (/health, /metrics) never wait for a writer, nor block one
                with closing(self._connect()) as db:
                    db.execute("PRAGMA journal_mode=WAL")
            with self._transaction() as db:
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    db.execute(statement)
        except sqlite3.DatabaseError as exc:
            raise ConfigError(
                f"cannot use the campaign's event log {self.path}: {exc} (it must be a "
                "writable SQLite file in a writable folder; move a damaged one aside and "
                "restart: it is rebuilt from the next webhooks)"
            ) from None

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)

    @contextmanager
    def _transaction(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction: a write one (BEGIN IMMEDIATE: concurrent writers wait, never
        interleave), or a read one (a snapshot; with WAL it neither waits nor blocks)."""
        with self._lock:
            db = self._memory or self._connect()
            try:
                db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield db
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            finally:
                if db is not self._memory:
                    db.close()

    # -- the backends write ---------------------------------------------------------

    def record(self, annotation_id: int, updated_at: datetime | None) -> str:
        """``"new"`` (first time this annotation is seen), ``"updated"``, or ``"stale"`` (a duplicate
        delivery, an event older than what is known, or a deleted annotation: nothing changes).
        An event without a readable time is taken as an update."""
        updated = _micros(updated_at)
        with self._transaction() as db:
            row = db.execute(
                "SELECT updated_us, deleted FROM annotations WHERE annotation_id = ?",
                (annotation_id,),
            ).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO annotations (annotation_id, updated_us, arrival) VALUES "
                    "(?, ?, (SELECT COALESCE(MAX(arrival), 0) + 1 FROM annotations))",
                    (annotation_id, updated),
                )
                return "new"
            known, deleted = row
            if deleted or (known is not None and updated is not None and known >= updated):
                return "stale"
            db.execute(
                "UPDATE annotations SET updated_us = ? WHERE annotation_id = ?",
                (updated, annotation_id),
            )
            return "updated"

    def delete(self, *annotation_ids: int) -> None:
        """Mark annotations deleted, all in one transaction (one event, one commit)."""
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO annotations (annotation_id, deleted) VALUES (?, 1) "
                "ON CONFLICT (annotation_id) DO UPDATE SET deleted = 1",
                [(i,) for i in annotation_ids],
            )

    def request_training(self, reason: str) -> bool:
        """Ask the retrainer for a round; False (nothing stored) when one is already waiting,
        so repeated START_TRAININGs start one round and the table stays small."""
        with self._transaction() as db:
            handled = self._state(db, "handled_request", 0)
            waiting = db.execute(
                "SELECT 1 FROM training_requests WHERE request > ? LIMIT 1", (handled,)
            ).fetchone()
            if waiting is not None:
                return False
            db.execute(
                "INSERT INTO training_requests (reason, at) VALUES (?, ?)", (reason, time.time())
            )
            return True

    def __len__(self) -> int:
        with self._transaction(write=False) as db:
            return db.execute("SELECT COUNT(*) FROM annotations WHERE deleted = 0").fetchone()[0]

    def __contains__(self, annotation_id: object) -> bool:
        with self._transaction(write=False) as db:
            row = db.execute(
                "SELECT 1 FROM annotations WHERE annotation_id = ? AND deleted = 0",
                (annotation_id,),
            ).fetchone()
        return row is not None

    # -- the retrainer reads and marks ---------------------------------------------

    def _state(self, db: sqlite3.Connection, key: str, default: Any) -> Any:
        row = db.execute("SELECT value FROM retrainer WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def _set_state(self, db: sqlite3.Connection, key: str, value: Any) -> None:
        db.execute(
            "INSERT INTO retrainer (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value, ensure_ascii=False)),
        )

    def pending(self) -> Pending:
        with self._transaction(write=False) as db:
            counted = self._state(db, "counted_arrival", 0)
            handled = self._state(db, "handled_request", 0)
            last_arrival = db.execute(
                "SELECT COALESCE(MAX(arrival), 0) FROM annotations"
            ).fetchone()[0]
            requests = db.execute(
                "SELECT request, reason FROM training_requests WHERE request > ? ORDER BY request",
                (handled,),
            ).fetchall()
        return Pending(
            new_annotations=max(0, last_arrival - counted),
            requests=tuple(reason for _, reason in requests),
            last_arrival=last_arrival,
            last_request=requests[-1][0] if requests else handled,
        )

    def consume(self, pending: Pending) -> None:
        """Mark what ``pending`` saw as handled (later arrivals count towards the next round)."""
        with self._transaction() as db:
            self._set_state(db, "counted_arrival", pending.last_arrival)
            self._set_state(db, "handled_request", pending.last_request)

    def write_status(self, status: dict[str, Any]) -> None:
        with self._transaction() as db:
            self._set_state(db, "status", status)

    def status(self) -> dict[str, Any]:
        """The retrainer's last status (empty before it ever ran) and what waits for it."""
        pending = self.pending()
        with self._transaction(write=False) as db:
            status = dict(self._state(db, "status", {}))
        status["new_annotations"] = pending.new_annotations
        status["requests_waiting"] = len(pending.requests)
        return status
