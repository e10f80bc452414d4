"""The campaign database has one schema (``apeach_ls.database.schema``), and the migrations
build exactly it: every table, column, type, nullability, default, primary key, unique and
check constraint, foreign key and index, on SQLite and PostgreSQL, from a new database and
from a database of every earlier release. Both sides are compared as the database itself
reports them (reflected), so PostgreSQL's rewriting of CHECK expressions is the same on
both. A deliberately altered copy of either side shows the comparison catches the edit."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import (
    CheckConstraint,
    Column,
    DefaultClause,
    Engine,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import make_url

from apeach_ls.database import migrations, open_database
from apeach_ls.database.connection import database_url, engine_for
from apeach_ls.database.schema import metadata, sql_list
from apeach_ls.votes.model import OUTCOMES

Description = dict[str, dict[str, object]]


@pytest.fixture(params=["sqlite", "postgresql"])
def new_database(request, tmp_path) -> Iterator[Callable[[], str]]:
    """Makes new, empty databases of one kind (dropped after the test)."""
    made: list[str] = []

    def make() -> str:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / f'db{len(made)}.sqlite'}"
        else:
            url = request.getfixturevalue("postgres_server").create_database()
        made.append(url)
        return url

    yield make
    if request.param == "postgresql":
        server = request.getfixturevalue("postgres_server")
        for url in made:
            server.drop_database(url)


def engine_on(url: str) -> Engine:
    return engine_for(make_url(database_url(url)))


def built_from(schema: MetaData, url: str) -> Engine:
    engine = engine_on(url)
    with engine.begin() as conn:
        schema.create_all(conn)
    return engine


def _default(value: str | None) -> str | None:
    if value is None:
        return None
    if value.startswith("nextval("):
        return "<sequence>"  # PostgreSQL's SERIAL: an integer primary key
    return re.sub(r"::[a-z ]+(\[\])?", "", value).strip()  # PostgreSQL adds casts


def _name(name: str | None, table: str) -> str | None:
    """A constraint's name, or None when the database made it up (PostgreSQL names unnamed
    constraints ``<table>_<columns>_key`` and the like; SQLite leaves them without)."""
    if name is None or re.fullmatch(rf"{table}_\w*(pkey|key|fkey|check)", name):
        return None
    return name


def _sql(expression: str) -> str:
    return " ".join(expression.split())


def describe(engine: Engine) -> Description:
    """Everything the database says about its tables, in a form two databases of the same
    kind can be compared in."""
    with engine.connect() as conn:
        db, dialect = inspect(conn), conn.dialect
        return {
            table: {
                "columns": [
                    (
                        c["name"],
                        c["type"].compile(dialect=dialect),
                        c["nullable"],
                        _default(c["default"]),
                    )
                    for c in db.get_columns(table)
                ],
                "primary key": tuple(db.get_pk_constraint(table)["constrained_columns"]),
                "unique": sorted(
                    (_name(u["name"], table), tuple(u["column_names"]))
                    for u in db.get_unique_constraints(table)
                ),
                "check": sorted(
                    (_name(k["name"], table), _sql(k["sqltext"]))
                    for k in db.get_check_constraints(table)
                ),
                "foreign keys": sorted(
                    (
                        _name(f["name"], table),
                        tuple(f["constrained_columns"]),
                        f["referred_table"],
                        tuple(f["referred_columns"]),
                        tuple(sorted((f.get("options") or {}).items())),
                    )
                    for f in db.get_foreign_keys(table)
                ),
                "indexes": sorted(
                    (i["name"], tuple(c or "" for c in i["column_names"]), bool(i["unique"]))
                    for i in db.get_indexes(table)
                    if not i.get("duplicates_constraint")
                ),
            }
            for table in sorted(db.get_table_names())
        }


def differences(migrated: Description, schema: Description) -> list[str]:
    """``table: aspect: migrated ... != schema ...`` for every aspect that differs."""
    found = [
        f"{t}: only in the {side}"
        for side, a, b in (("migrated database", migrated, schema), ("schema", schema, migrated))
        for t in sorted(set(a) - set(b))
    ]
    for table in sorted(set(migrated) & set(schema)):
        for aspect, value in migrated[table].items():
            if value != schema[table][aspect]:
                found.append(
                    f"{table}: {aspect}: migrated {value} != schema {schema[table][aspect]}"
                )
    return found


def test_a_new_database_is_migrated_to_exactly_the_one_schema(new_database):
    migrated = open_database(new_database())
    schema = built_from(metadata, new_database())
    described = describe(migrated)
    assert differences(described, describe(schema)) == []
    assert set(described) == set(metadata.tables)  # every table, vote_tallies included
    assert described["vote_tallies"]["check"]  # the constraints are really compared
    assert described["payout_items"]["foreign keys"] and described["payout_items"]["indexes"]
    migrated.dispose()
    schema.dispose()


def test_a_database_of_every_earlier_release_upgrades_to_the_one_schema(new_database, monkeypatch):
    schema_engine = built_from(metadata, new_database())
    schema = describe(schema_engine)
    schema_engine.dispose()
    released = migrations.MIGRATIONS
    for last in range(1, len(released)):
        url = new_database()
        monkeypatch.setattr(migrations, "MIGRATIONS", released[:last])
        open_database(url).dispose()
        monkeypatch.setattr(migrations, "MIGRATIONS", released)
        engine = open_database(url)
        assert migrations.applied_migrations(engine) == [m.name for m in released]
        assert differences(describe(engine), schema) == [], f"from {released[last - 1].name}"
        engine.dispose()


def _copy() -> MetaData:
    copy = MetaData()
    for table in metadata.sorted_tables:
        table.to_metadata(copy)
    return copy


def _replace_table(md: MetaData, name: str, *columns_and_constraints) -> None:
    md.remove(md.tables[name])
    Table(name, md, *columns_and_constraints)


def _type(md: MetaData) -> None:
    md.tables["writers"].c.platform_id.type = String(65)


def _nullability(md: MetaData) -> None:
    md.tables["earnings"].c.writer_email.nullable = False


def _default_value(md: MetaData) -> None:
    md.tables["rounds"].c.pinned_model_versions.server_default = DefaultClause(text("'{}'"))


def _primary_key(md: MetaData) -> None:
    columns = [Column(c.name, c.type, nullable=c.nullable) for c in md.tables["writer_holds"].c]
    _replace_table(md, "writer_holds", *columns, PrimaryKeyConstraint("campaign", "writer_id"))


def _unique(md: MetaData) -> None:
    table = md.tables["earnings"]
    table.constraints = {c for c in table.constraints if c.name != "uq_earnings_submission_kind"}


def _check(md: MetaData) -> None:
    table = md.tables["vote_tallies"]
    table.constraints = {c for c in table.constraints if not isinstance(c, CheckConstraint)}
    table.append_constraint(
        CheckConstraint(
            f"outcome IN {sql_list((*OUTCOMES, 'withdrawn'))}", name="ck_vote_tallies_outcome"
        )
    )


def _foreign_key(md: MetaData) -> None:
    table = md.tables["payout_items"]
    _replace_table(
        md,
        "payout_items",
        *(
            Column(
                c.name,
                c.type,
                primary_key=c.primary_key,
                nullable=c.nullable,
                unique=c.unique,
                index=c.index,
            )
            for c in table.c
        ),
    )


def _index(md: MetaData) -> None:
    md.tables["payout_items"].indexes.clear()


def _table(md: MetaData) -> None:
    md.remove(md.tables["writer_holds"])


def _column(md: MetaData) -> None:
    md.tables["rounds"].append_column(Column("note", Text))


EDITS = {
    "type": (_type, "writers: columns"),
    "nullability": (_nullability, "earnings: columns"),
    "default": (_default_value, "rounds: columns"),
    "primary key": (_primary_key, "writer_holds: primary key"),
    "unique constraint": (_unique, "earnings: unique"),
    "check constraint": (_check, "vote_tallies: check"),
    "foreign key": (_foreign_key, "payout_items: foreign keys"),
    "index": (_index, "payout_items: indexes"),
    "table": (_table, "writer_holds: only in the migrated database"),
    "column": (_column, "rounds: columns"),
}


@pytest.mark.parametrize("edit", EDITS)
def test_an_edit_of_the_schema_alone_is_caught(new_database, edit):
    alter, expected = EDITS[edit]
    altered = _copy()
    alter(altered)
    migrated = open_database(new_database())
    schema = built_from(altered, new_database())
    found = differences(describe(migrated), describe(schema))
    assert found and all(f.startswith(expected) for f in found), found
    migrated.dispose()
    schema.dispose()


def test_an_edit_of_a_migration_alone_is_caught(new_database, monkeypatch):
    def rounds_without_default(conn) -> None:
        md = MetaData()
        Table("rounds", md, Column("campaign", Text, primary_key=True))
        md.create_all(conn)

    steps = list(migrations.MIGRATIONS)
    at = [m.name for m in steps].index("0005_rounds_and_writer_holds")
    steps[at] = migrations.Migration(steps[at].name, rounds_without_default)
    monkeypatch.setattr(migrations, "MIGRATIONS", tuple(steps))
    migrated = open_database(new_database())
    schema = built_from(metadata, new_database())
    found = differences(describe(migrated), describe(schema))
    assert "writer_holds: only in the schema" in found
    assert any(f.startswith("rounds: columns") for f in found), found
    migrated.dispose()
    schema.dispose()


# The SQL each released migration runs on SQLite, hashed. Released migrations are frozen:
# a database made by an earlier release must upgrade the same way as a new one. Append a
# migration to change the schema; add its hash here when it is released.
RELEASED = {
    "0001_create_ledger": "9e9bbcbd2eb4c577",
    "0002_vote_tallies": "c4e10e03a19cafba",
    "0003_mturk_assignment_ids": "f50d95dbe944dc78",
    "0004_platforms_and_confirmation": "d92c5a6d33dc3bac",
    "0005_rounds_and_writer_holds": "cea00011f77ee3f3",
    "0006_validation_tallies": "6128524246f6bd46",
    "0007_vote_tally_sentence_versions": "549d18737a70ac20",
    "0008_vote_tally_reason_counts": "fcebb742019616ee",
}


def migration_sql(tmp_path) -> dict[str, str]:
    engine = engine_on(f"sqlite:///{tmp_path / 'frozen.sqlite'}")
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, sql, *_a: statements.append(sql))
    hashes = {}
    for migration in migrations.MIGRATIONS:
        statements.clear()
        with engine.begin() as conn:
            migration.apply(conn)
        sql = "\n".join(_sql(s) for s in statements)
        hashes[migration.name] = hashlib.sha256(sql.encode()).hexdigest()[:16]
    engine.dispose()
    return hashes


def test_released_migrations_are_frozen(tmp_path):
    hashes = migration_sql(tmp_path)
    changed = [
        f"{name}: {RELEASED[name]} -> {digest}"
        for name, digest in hashes.items()
        if name in RELEASED and RELEASED[name] != digest
    ]
    assert changed == [], (
        "released migrations changed; append a new migration instead of editing one "
        "(only if SQLAlchemy's DDL output changed, record the new hashes)"
    )
    assert set(RELEASED) <= set(hashes), "a released migration is gone"
