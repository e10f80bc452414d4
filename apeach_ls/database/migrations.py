"""Named schema migrations, recorded in ``schema_migrations`` and applied at open.

Each migration runs in its own locked transaction together with the row that records it
(PostgreSQL and our SQLite connections both have transactional DDL), so a crash leaves a
migration either fully applied and recorded, or not at all.

A migration is frozen once released: its body spells out the tables it built then instead of
using the live schema (``schema.py``), so a database made long ago upgrades the same way
as one made today. Change the schema by editing ``schema.py`` AND appending a migration;
tests/test_database_schema.py fails until a migrated database equals ``schema.py`` in every
table, column, type and constraint (SQLite and PostgreSQL), and when a released migration's
SQL changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
    select,
    text,
)

from .connection import lock_database, now_iso
from .schema import schema_migrations


@dataclass(frozen=True)
class Migration:
    name: str
    apply: Callable[[Connection], None]


def _create_ledger(conn: Connection) -> None:
    md = MetaData()
    Table(
        "writers",
        md,
        Column("id", Integer, primary_key=True),
        Column("ls_user_id", BigInteger, unique=True),
        Column("ls_email", String(320), unique=True),
        Column("platform_id", String(64), nullable=False),
        Column("age", Integer, CheckConstraint("age BETWEEN 14 AND 100", name="ck_writers_age")),
        Column(
            "gender",
            String(6),
            CheckConstraint("gender IN ('female', 'male')", name="ck_writers_gender"),
        ),
        Column("updated_at", String(32), nullable=False),
        CheckConstraint("ls_user_id IS NOT NULL OR ls_email IS NOT NULL", name="ck_writers_key"),
    )
    Table(
        "earnings",
        md,
        Column("id", Integer, primary_key=True),
        Column("submission_id", BigInteger, nullable=False),
        Column("kind", String(16), nullable=False),
        Column("writer_ls_id", BigInteger, nullable=False),
        Column("writer_email", String(320)),
        Column("amount", BigInteger, nullable=False),
        Column("currency", String(3), nullable=False),
        Column("reason", Text, nullable=False),
        Column("recorded_at", String(32), nullable=False),
        UniqueConstraint("submission_id", "kind", name="uq_earnings_submission_kind"),
        CheckConstraint(
            "(kind = 'adjustment' AND amount < 0) OR "
            "(kind IN ('accepted', 'fooled_bonus') AND amount > 0)",
            name="ck_earnings_kind_amount",
        ),
    )
    Table(
        "payout_batches",
        md,
        Column("id", Integer, primary_key=True),
        Column(
            "status",
            String(16),
            CheckConstraint("status IN ('preparing', 'committed')", name="ck_batches_status"),
            nullable=False,
        ),
        Column("currency", String(3), nullable=False),
        Column("providers", String(200), nullable=False),
        Column("directory", Text, nullable=False),
        Column("created_at", String(32), nullable=False),
        Column("committed_at", String(32)),
    )
    Table(
        "payout_items",
        md,
        Column("id", Integer, primary_key=True),
        Column("batch_id", Integer, ForeignKey("payout_batches.id"), nullable=False, index=True),
        Column("earning_id", Integer, ForeignKey("earnings.id"), nullable=False, unique=True),
        Column("platform_id", String(64), nullable=False),
    )
    meta = Table(
        "ledger_meta",
        md,
        Column("key", String(64), primary_key=True),
        Column("value", String(200), nullable=False),
    )
    md.create_all(conn)
    conn.execute(insert(meta).values(key="ledger_id", value=uuid.uuid4().hex))


def _create_vote_tallies(conn: Connection) -> None:
    """The managers' vote outcome per submission, replaced at every tally (not money)."""
    md = MetaData()
    Table(
        "vote_tallies",
        md,
        Column("submission_id", BigInteger, primary_key=True),
        Column(
            "outcome",
            String(16),
            CheckConstraint(
                "outcome IN ('accepted', 'dropped', 'pending')", name="ck_vote_tallies_outcome"
            ),
            nullable=False,
        ),
        Column("reasons", String(200), nullable=False),
        Column("keeps", Integer, nullable=False),
        Column("drops", Integer, nullable=False),
        Column("tallied_at", String(32), nullable=False),
    )
    md.create_all(conn)


def _add_mturk_assignment_ids(conn: Connection) -> None:
    """MTurk's SendBonus needs an assignment id next to the worker id: the roster may carry one,
    a batch records it when planned, and batches from now on lay out their files in format 2
    (the MTurk file gains an assignment_id column). Earlier batches keep format 1, so their
    files still match the ledger byte for byte."""
    conn.exec_driver_sql("ALTER TABLE writers ADD COLUMN assignment_id VARCHAR(64)")
    conn.exec_driver_sql("ALTER TABLE payout_items ADD COLUMN assignment_id VARCHAR(64)")
    conn.exec_driver_sql(
        "ALTER TABLE payout_batches ADD COLUMN file_format INTEGER NOT NULL DEFAULT 1"
    )


def _add_platforms_and_confirmation(conn: Connection) -> None:
    """Each writer's payout platform (prolific, mturk or manual: checked by the roster import,
    not by the database, so a platform can be added without rebuilding the table), recorded
    on payout items when planned: batches from file format 3 on write each writer into their
    own platform's file only. ``paid_at``: the operator confirmed a batch paid after uploading
    its files; until then the batch's files are written, not paid. Writers stored before this
    migration have no platform and are held at payout until their row is imported again."""
    conn.exec_driver_sql("ALTER TABLE writers ADD COLUMN platform VARCHAR(16)")
    conn.exec_driver_sql("ALTER TABLE payout_items ADD COLUMN platform VARCHAR(16)")
    conn.exec_driver_sql("ALTER TABLE payout_batches ADD COLUMN paid_at VARCHAR(32)")


def _create_rounds_and_writer_holds(conn: Connection) -> None:
    """Rounds (a named period of a campaign with the model versions pinned for it) and holds
    on writers (since when, why, and who released them when)."""
    md = MetaData()
    Table(
        "rounds",
        md,
        Column("campaign", Text, primary_key=True),
        Column("name", Text, primary_key=True),
        Column("started_at", DateTime(timezone=True), nullable=False),
        Column("pinned_model_versions", Text, nullable=False, server_default=text("'[]'")),
    )
    Table(
        "writer_holds",
        md,
        Column("campaign", Text, primary_key=True),
        Column("writer_id", Integer, primary_key=True, autoincrement=False),
        Column("since", DateTime(timezone=True), primary_key=True),
        Column("reason", Text, nullable=False),
        Column("released_at", DateTime(timezone=True)),
        Column("released_by", Text),
    )
    md.create_all(conn)


def _create_validation_tallies(conn: Connection) -> None:
    """The validation outcome of each fooled sentence, replaced at every tally (not money)."""
    md = MetaData()
    Table(
        "validation_tallies",
        md,
        Column("submission_id", BigInteger, primary_key=True),
        Column(
            "status",
            String(16),
            CheckConstraint(
                "status IN ('verified', 'rejected', 'undecided')",
                name="ck_validation_tallies_status",
            ),
            nullable=False,
        ),
        Column("rights", Integer, nullable=False),
        Column("wrongs", Integer, nullable=False),
        Column("tallied_at", String(32), nullable=False),
    )
    md.create_all(conn)


def _add_vote_tally_sentence_versions(conn: Connection) -> None:
    """The version of the sentence (text, intent and label) each stored tally is about, so
    that a payout or a release never takes an outcome for a sentence its writer rewrote since
    the tally. Tallies stored before this migration have none and are taken as they are until
    the next ``votes tally`` stores one."""
    conn.exec_driver_sql("ALTER TABLE vote_tallies ADD COLUMN sentence_version VARCHAR(64)")


def _add_vote_tally_reason_counts(conn: Connection) -> None:
    """Each stored tally keeps how many counted drop votes named each reason (a JSON object),
    so the report's per-reason agreement reads the stored tallies. Tallies stored before
    have none (NULL) until `votes tally` runs again."""
    conn.exec_driver_sql("ALTER TABLE vote_tallies ADD COLUMN reason_counts TEXT")


MIGRATIONS: tuple[Migration, ...] = (
    Migration("0001_create_ledger", _create_ledger),
    Migration("0002_vote_tallies", _create_vote_tallies),
    Migration("0003_mturk_assignment_ids", _add_mturk_assignment_ids),
    Migration("0004_platforms_and_confirmation", _add_platforms_and_confirmation),
    Migration("0005_rounds_and_writer_holds", _create_rounds_and_writer_holds),
    Migration("0006_validation_tallies", _create_validation_tallies),
    Migration("0007_vote_tally_sentence_versions", _add_vote_tally_sentence_versions),
    Migration("0008_vote_tally_reason_counts", _add_vote_tally_reason_counts),
)

_record = schema_migrations


def applied_migrations(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        _record.create(conn, checkfirst=True)
        names = list(conn.execute(select(_record.c.name).order_by(_record.c.name)).scalars())
        conn.commit()
    return names


def migrate(engine: Engine) -> list[str]:
    """Apply the migrations not yet recorded, in order; return the names applied now."""
    applied_now: list[str] = []
    for migration in MIGRATIONS:
        with engine.begin() as conn:
            lock_database(conn)
            _record.create(conn, checkfirst=True)
            done = conn.execute(
                select(_record.c.name).where(_record.c.name == migration.name)
            ).first()
            if done is not None:
                continue
            migration.apply(conn)
            conn.execute(insert(_record).values(name=migration.name, applied_at=now_iso()))
            applied_now.append(migration.name)
    return applied_now
