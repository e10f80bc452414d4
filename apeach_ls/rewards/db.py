"""The ledger database: SQLite by default, PostgreSQL by URL; SQLAlchemy 2.x Core.

One ledger database per campaign. ``open_ledger`` applies the named migrations
(``migrations.py``) before returning the engine. Every write goes through ``transaction``:
one database transaction that first takes the ledger lock (SQLite: ``BEGIN IMMEDIATE``;
PostgreSQL: a transaction-level advisory lock), so two runs never interleave.
The tables below mirror the schema the migrations build (a test checks they agree).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from ..errors import ConfigError

LOCK_KEY = 0x41504541  # "APEA": the advisory lock that serializes ledger writes on PostgreSQL

metadata = MetaData()

writers = Table(
    "writers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ls_user_id", BigInteger, unique=True),  # Label Studio user id, or
    Column("ls_email", String(320), unique=True),  # Label Studio e-mail (lower case)
    Column(
        "platform_id", String(64), nullable=False
    ),  # Prolific participant / MTurk worker id / payee reference
    Column("age", Integer),
    Column("gender", String(6)),  # "female" / "male"
    Column("updated_at", String(32), nullable=False),
    Column("assignment_id", String(64)),  # MTurk: an assignment of the worker, for SendBonus
    Column("platform", String(16)),  # prolific / mturk / manual; None: stored before migration 0004
)

earnings = Table(
    "earnings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("submission_id", BigInteger, nullable=False),  # Label Studio annotation id
    Column("kind", String(16), nullable=False),
    Column("writer_ls_id", BigInteger, nullable=False),
    Column("writer_email", String(320)),
    Column("amount", BigInteger, nullable=False),  # minor units; < 0 only for adjustments
    Column("currency", String(3), nullable=False),
    Column("reason", Text, nullable=False),
    Column("recorded_at", String(32), nullable=False),
    UniqueConstraint("submission_id", "kind", name="uq_earnings_submission_kind"),
)

payout_batches = Table(
    "payout_batches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("status", String(16), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("providers", String(200), nullable=False),  # comma-separated provider names
    Column("directory", Text, nullable=False),  # where the batch's files go (absolute)
    Column("created_at", String(32), nullable=False),
    Column("committed_at", String(32)),
    Column(
        "file_format", Integer, nullable=False
    ),  # how its files are laid out (model.BATCH_FILE_FORMAT)
    Column(
        "paid_at", String(32)
    ),  # when the operator confirmed it paid (after uploading its files)
)

payout_items = Table(
    "payout_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("batch_id", Integer, ForeignKey("payout_batches.id"), nullable=False),
    Column(
        "earning_id", Integer, ForeignKey("earnings.id"), nullable=False, unique=True
    ),  # paid once
    Column("platform_id", String(64), nullable=False),  # the writer's platform id when planned
    Column("assignment_id", String(64)),  # and their MTurk assignment id, if the roster had one
    Column("platform", String(16)),  # and their platform (None in batches of file format 1 and 2)
)

ledger_meta = Table(
    "ledger_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(200), nullable=False),
)


def ledger_url(location: str | Path) -> str:
    """A database URL from a URL or a path to a SQLite file; ``postgresql://`` uses psycopg 3."""
    text = str(location)
    if "://" not in text:
        return "sqlite:///" + str(Path(text).expanduser().resolve())
    if text.startswith("postgresql://") or text.startswith("postgres://"):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    return text


class LedgerMissing(ConfigError):
    """The ledger database does not exist (yet), and the command only reads or pays from it."""


def open_ledger(location: str | Path, create: bool = True) -> Engine:
    """An engine on the ledger with every migration applied. With ``create=False`` a ledger
    that does not exist yet (a SQLite file that is not there, a database without our tables)
    is an error instead of being created empty: a mistyped path must not look like an empty
    campaign."""
    from .migrations import migrate

    url = ledger_url(location)
    try:
        parsed = make_url(url)
        shown = parsed.render_as_string(hide_password=True)
        if parsed.get_backend_name() == "sqlite":
            if not create and not Path(parsed.database or ":memory:").is_file():
                raise LedgerMissing(f"there is no ledger database at {parsed.database}")
            engine = create_engine(parsed, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
        else:
            engine = create_engine(parsed)
            if not create:
                with engine.connect() as conn:
                    if not conn.dialect.has_table(conn, "schema_migrations"):
                        raise LedgerMissing(f"the database {shown} has no ledger yet")
        migrate(engine)
    except (ArgumentError, ImportError) as exc:
        raise ConfigError(f"ledger database {url!r}: {exc}") from exc
    except SQLAlchemyError as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        raise ConfigError(
            f"cannot open the ledger database {shown}: {exc.__class__.__name__}: "
            f"{str(exc.orig if hasattr(exc, 'orig') else exc).strip()}"
        ) from exc
    return engine


def _sqlite_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves: DDL is transactional too
    dbapi_connection.execute("PRAGMA foreign_keys = ON")


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def lock_ledger(conn: Connection) -> None:
    """Serialize ledger writers until the end of the current transaction."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LOCK_KEY})")
    # SQLite: BEGIN IMMEDIATE already holds the database's write lock.


@contextmanager
def transaction(engine: Engine, rollback: bool = False) -> Iterator[Connection]:
    """One locked transaction: committed when the block ends (rolled back instead with
    ``rollback``, for a dry run), rolled back on any error."""
    with engine.connect() as conn:
        with conn.begin() as tx:
            lock_ledger(conn)
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
