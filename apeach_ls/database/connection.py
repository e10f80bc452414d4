"""Connecting to the campaign database, and the one way to write to it.

SQLite by default, PostgreSQL by URL; SQLAlchemy 2.x Core. Every write goes through
``transaction``: one database transaction that first takes the database's write lock
(SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: a transaction-level advisory lock), so two runs
never interleave.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import URL, Connection, Engine, create_engine, event, select

from .schema import ledger_meta

LOCK_KEY = 0x41504541  # "APEA": the advisory lock that serializes writes on PostgreSQL


def database_url(location: str | Path) -> str:
    """A database URL from a URL or a path to a SQLite file; ``postgresql://`` uses psycopg 3."""
    text = str(location)
    if "://" not in text:
        return "sqlite:///" + str(Path(text).expanduser().resolve())
    if text.startswith("postgresql://") or text.startswith("postgres://"):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    return text


def engine_for(url: URL) -> Engine:
    """An engine whose transactions are all real (SQLite: we issue ``BEGIN IMMEDIATE``
    ourselves, so DDL is transactional too, and foreign keys are enforced)."""
    if url.get_backend_name() != "sqlite":
        return create_engine(url)
    engine = create_engine(url, connect_args={"timeout": 30})
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves: DDL is transactional too
    dbapi_connection.execute("PRAGMA foreign_keys = ON")


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def lock_database(conn: Connection) -> None:
    """Serialize writers until the end of the current transaction."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LOCK_KEY})")
    # SQLite: BEGIN IMMEDIATE already holds the database's write lock.


@contextmanager
def transaction(engine: Engine, rollback: bool = False) -> Iterator[Connection]:
    """One locked transaction: committed when the block ends (rolled back instead with
    ``rollback``, for a dry run), rolled back on any error."""
    with engine.connect() as conn:
        with conn.begin() as tx:
            lock_database(conn)
            yield conn
            if rollback:
                tx.rollback()


def ledger_id(conn: Connection) -> str:
    """The ledger's random identity (set by the first migration), used in request tokens."""
    return str(
        conn.execute(
            select(ledger_meta.c.value).where(ledger_meta.c.key == "ledger_id")
        ).scalar_one()
    )


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
