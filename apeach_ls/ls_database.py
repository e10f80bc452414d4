"""Which database the embedded Label Studio runs on: SQLite in the data dir, or PostgreSQL.

Label Studio 1.23 takes PostgreSQL from its own settings (``core/settings/base.py``):
``DJANGO_DB=default`` with ``POSTGRE_NAME``, ``POSTGRE_USER``, ``POSTGRE_PASSWORD``,
``POSTGRE_HOST`` and ``POSTGRE_PORT``. :func:`parse_database_url` turns a
``postgresql://user@host:port/name`` URL into them. A password is a secret: a URL given on
the command line must not carry one (argv is visible to every local user in ``ps``); it comes
from ``APEACH_LS_DATABASE_URL`` (or ``..._FILE``), or, with an empty ``POSTGRE_PASSWORD``,
from libpq's own ``PGPASSWORD`` or ``~/.pgpass``.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from .errors import ConfigError

SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
DATABASE_URL = "APEACH_LS_DATABASE_URL"
# Label Studio reads each setting as LABEL_STUDIO_<NAME>, HEARTEX_<NAME> or <NAME>, first found wins.
SETTING_NAMES = (
    "DJANGO_DB",
    "POSTGRE_NAME",
    "POSTGRE_USER",
    "POSTGRE_PASSWORD",
    "POSTGRE_HOST",
    "POSTGRE_PORT",
)
SETTING_PREFIXES = ("LABEL_STUDIO_", "HEARTEX_", "")


@dataclass(frozen=True)
class PostgresDatabase:
    user: str
    host: str
    port: int
    name: str
    password: str = field(default="", repr=False)

    @property
    def url(self) -> str:
        """The URL without its password: safe to print, log and keep in the data dir."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.name}"

    def label_studio_env(self) -> dict[str, str]:
        """Label Studio's own PostgreSQL settings. An empty password lets libpq use
        PGPASSWORD or ~/.pgpass."""
        return {
            "DJANGO_DB": "default",
            "POSTGRE_NAME": self.name,
            "POSTGRE_USER": self.user,
            "POSTGRE_PASSWORD": self.password,
            "POSTGRE_HOST": self.host,
            "POSTGRE_PORT": str(self.port),
        }


def parse_database_url(url: str, from_command_line: bool) -> PostgresDatabase:
    """``postgresql://user[:password]@host[:port]/name`` (a password only when the URL does not
    come from the command line)."""
    source = "--database" if from_command_line else DATABASE_URL
    try:
        parts = urlsplit(url.strip())
        port = parts.port or 5432
    except ValueError:
        # urlsplit's own message quotes the text it took for a port or host, which is part of
        # the password when the password holds an unescaped '/', '?' or '#': never show it.
        raise ConfigError(
            f"{source}: not a database URL: the port must be a number from 0 to 65535, and "
            "'/', '?', '#', '[' and ']' in the user or password must be percent-encoded "
            "(e.g. '/' as %2F)"
        ) from None
    if parts.scheme not in SCHEMES:
        raise ConfigError(
            f"{source}: expected a postgresql://user@host:port/name URL, got a "
            f"{parts.scheme or 'scheme-less'} one (SQLite in the data dir is the default: "
            "leave --database out)"
        )
    if parts.password is not None and from_command_line:
        raise ConfigError(
            "--database: the URL holds a password, which would be visible to every local user "
            f"in the process list; put the URL in {DATABASE_URL} (or {DATABASE_URL}_FILE), or the "
            "password in PGPASSWORD or ~/.pgpass"
        )
    name = unquote(parts.path.lstrip("/"))
    if not name or "/" in name:
        raise ConfigError(
            f"{source}: the URL names no database; e.g. postgresql://user@host:5432/labelstudio"
        )
    if parts.query or parts.fragment:
        raise ConfigError(f"{source}: URL parameters (after '?') are not supported")
    return PostgresDatabase(
        user=unquote(parts.username) if parts.username else getpass.getuser(),
        host=parts.hostname or "localhost",
        port=port,
        name=name,
        password=unquote(parts.password or ""),
    )


def without_database_settings(env: dict[str, str]) -> dict[str, str]:
    """``env`` without any of Label Studio's database settings, under any of its prefixes."""
    names = {prefix + name for prefix in SETTING_PREFIXES for name in SETTING_NAMES}
    names |= {prefix + "DATABASE_NAME" for prefix in SETTING_PREFIXES}
    return {k: v for k, v in env.items() if k not in names}
