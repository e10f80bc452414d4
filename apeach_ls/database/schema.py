"""The campaign database's one schema: every table, column and constraint, in one place.

The code reads and writes through these tables; the migrations (``migrations.py``) build
the same schema step by step, and a test compares a migrated database with this one, table
by table, on SQLite and PostgreSQL. Change the schema here AND append a migration; the test
fails until both sides agree.

CHECK constraints are built from the vocabulary constants the code uses, so adding a value
to a vocabulary changes the schema (and the test asks for the migration that follows).
Times are ISO 8601 text (``connection.now_iso``), except in the tables for rounds, which
store timezone-aware timestamps (``Timestamp``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)

from ..rewards.model import (
    BATCH_STATUSES,
    EARNING_KINDS,
    GENDERS,
    KIND_ADJUSTMENT,
    MAX_AGE,
    MIN_AGE,
)
from ..validation.model import STATUSES as VALIDATION_STATUSES
from ..votes.model import OUTCOMES


def sql_list(values: Iterable[str]) -> str:
    """``('a', 'b')``: string constants as a SQL list, for ``IN``."""
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class Timestamp(TypeDecorator[datetime]):
    """A timezone-aware time: ``TIMESTAMP WITH TIME ZONE`` on PostgreSQL; on SQLite, which has
    no such type, the time in UTC. Naive times are refused; times read back are in UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{value.isoformat()} has no timezone; give a timezone-aware time")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"a stored timestamp reads back as {value!r}, not a datetime")
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

# Which migrations a database has had (written by ``migrations.migrate``, never by hand).
schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("applied_at", String(32), nullable=False),
)

# The ledger's identity (``ledger_id``: a random hex string, set by the first migration).
ledger_meta = Table(
    "ledger_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(200), nullable=False),
)

writers = Table(
    "writers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ls_user_id", BigInteger, unique=True),  # Label Studio user id, or
    Column("ls_email", String(320), unique=True),  # Label Studio e-mail (lower case)
    # Prolific participant / MTurk worker id / payee reference
    Column("platform_id", String(64), nullable=False),
    Column("age", Integer),
    Column("gender", String(6)),
    Column("updated_at", String(32), nullable=False),
    Column("assignment_id", String(64)),  # MTurk: an assignment of the worker, for SendBonus
    # prolific / mturk / manual (checked by the roster import, not here, so a platform can be
    # added without rebuilding the table); None: stored before migration 0004
    Column("platform", String(16)),
    CheckConstraint(f"age BETWEEN {MIN_AGE} AND {MAX_AGE}", name="ck_writers_age"),
    CheckConstraint(f"gender IN {sql_list(GENDERS)}", name="ck_writers_gender"),
    CheckConstraint("ls_user_id IS NOT NULL OR ls_email IS NOT NULL", name="ck_writers_key"),
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
    CheckConstraint(
        f"(kind = {sql_string(KIND_ADJUSTMENT)} AND amount < 0) OR "
        f"(kind IN {sql_list(EARNING_KINDS)} AND amount > 0)",
        name="ck_earnings_kind_amount",
    ),
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
    # how its files are laid out (rewards.model.BATCH_FILE_FORMAT); 1 for batches made
    # before migration 0003
    Column("file_format", Integer, nullable=False, server_default=text("1")),
    Column("paid_at", String(32)),  # when the operator confirmed it paid (after the upload)
    CheckConstraint(f"status IN {sql_list(BATCH_STATUSES)}", name="ck_batches_status"),
)

payout_items = Table(
    "payout_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("batch_id", Integer, ForeignKey("payout_batches.id"), nullable=False, index=True),
    Column("earning_id", Integer, ForeignKey("earnings.id"), nullable=False, unique=True),
    Column("platform_id", String(64), nullable=False),  # the writer's platform id when planned
    Column("assignment_id", String(64)),  # and their MTurk assignment id, if the roster had one
    Column("platform", String(16)),  # and their platform (None in batches of file format 1, 2)
)

# The managers' vote outcome per submission, replaced at every tally (not money).
vote_tallies = Table(
    "vote_tallies",
    metadata,
    Column("submission_id", BigInteger, primary_key=True),  # Label Studio annotation id
    Column("outcome", String(16), nullable=False),
    Column("reasons", String(200), nullable=False),  # comma-separated, sorted
    Column("keeps", Integer, nullable=False),
    Column("drops", Integer, nullable=False),
    Column("tallied_at", String(32), nullable=False),
    # the version of the sentence the counted votes are about (votes.model.ShownSentence);
    # NULL for a tally stored before versions: then taken as it is
    Column("sentence_version", String(64)),
    # every reason the counted drop votes named, with how many named it: a JSON object
    # ({"copied": 2}); NULL for tallies stored before the counts were kept
    Column("reason_counts", Text),
    CheckConstraint(f"outcome IN {sql_list(OUTCOMES)}", name="ck_vote_tallies_outcome"),
)

# The validation outcome of each fooled sentence (validation/tally.py), replaced at every
# validation tally: verified (the writer's label validated right), rejected, undecided.
validation_tallies = Table(
    "validation_tallies",
    metadata,
    Column("submission_id", BigInteger, primary_key=True),  # Label Studio annotation id
    Column("status", String(16), nullable=False),
    Column("rights", Integer, nullable=False),  # counted answers: the label is right
    Column("wrongs", Integer, nullable=False),  # ... wrong
    Column("tallied_at", String(32), nullable=False),
    CheckConstraint(
        f"status IN {sql_list(VALIDATION_STATUSES)}", name="ck_validation_tallies_status"
    ),
)

# A named period of a campaign, from its start until the next round starts, with the model
# versions pinned for it (a JSON list of strings; empty: whatever the backend serves).
rounds = Table(
    "rounds",
    metadata,
    Column("campaign", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("started_at", Timestamp, nullable=False),
    Column("pinned_model_versions", Text, nullable=False, server_default=text("'[]'")),
    PrimaryKeyConstraint("campaign", "name"),
)

# A writer held back from a campaign (e.g. at payout) since a time, for a reason, until
# someone releases the hold. Holds are never deleted: a released one keeps who and when.
writer_holds = Table(
    "writer_holds",
    metadata,
    Column("campaign", Text, nullable=False),
    Column("writer_id", Integer, nullable=False),  # the writer's Label Studio user id
    Column("since", Timestamp, nullable=False),
    Column("reason", Text, nullable=False),
    Column("released_at", Timestamp),
    Column("released_by", Text),
    PrimaryKeyConstraint("campaign", "writer_id", "since"),
)
