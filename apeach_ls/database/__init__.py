"""The campaign database: the ledger and payouts, the writers' roster and payout platforms,
the managers' vote tallies, rounds and holds on writers. One per campaign.

``schema`` holds the one schema (SQLAlchemy Core tables); ``migrations`` the named, frozen
steps that build it; ``connection`` the URL, the engine and ``transaction`` (every write);
``rounds`` reads and writes rounds and writer holds. ``open_database`` returns an engine on
a database with every migration applied.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from ..errors import ConfigError
from .connection import database_url, engine_for
from .migrations import migrate


class DatabaseMissing(ConfigError):
    """The campaign database does not exist (yet), and the command only reads or pays from it."""


def open_database(location: str | Path, create: bool = True) -> Engine:
    """An engine on the campaign database with every migration applied. With ``create=False``
    a database that does not exist yet (a SQLite file that is not there, a database without
    our tables) is an error instead of being created empty: a mistyped path must not look like
    an empty campaign."""
    url = database_url(location)
    try:
        parsed = make_url(url)
        shown = parsed.render_as_string(hide_password=True)
        sqlite = parsed.get_backend_name() == "sqlite"
        if sqlite and not create and not Path(parsed.database or ":memory:").is_file():
            raise DatabaseMissing(f"there is no ledger database at {parsed.database}")
        engine = engine_for(parsed)
        if not sqlite and not create:
            with engine.connect() as conn:
                if not conn.dialect.has_table(conn, "schema_migrations"):
                    raise DatabaseMissing(f"the database {shown} has no ledger yet")
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
