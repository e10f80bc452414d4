"""A real PostgreSQL server for the ledger tests, and a ledger URL fixture for both backends.

tests/conftest.py shares its fixtures with every test module (``pytest_plugins``).

The server comes from Debian's ``postgresql`` package (binaries under
/usr/lib/postgresql/<version>/bin); it is started once per test run on a free loopback
port with a throw-away data directory, and stopped at the end. PostgreSQL refuses to run
as root, so under root the server runs as the ``postgres`` user the package creates.
Without the binaries the PostgreSQL tests FAIL (they do not skip): CI installs them.
Set APEACH_TEST_PG_URL (a superuser URL, e.g. postgresql://user@host:5432/postgres) to
use an existing server instead.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from apeach_ls.processes import free_port

DEBIAN_PACKAGE = "postgresql"
NEEDED = ("initdb", "pg_ctl", "postgres")


@dataclass
class PostgresServer:
    admin_url: str  # postgresql+psycopg://user@host:port/postgres

    def create_database(self) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        import psycopg

        name = "apeach_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.admin_url.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.admin_url.rsplit("/", 1)[0] + "/" + name

    def drop_database(self, url: str) -> None:
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.admin_url.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def find_bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin that has initdb, pg_ctl and postgres."""
    dirs = [Path(d) for d in glob.glob("/usr/lib/postgresql/*/bin")]
    dirs.sort(key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else -1, reverse=True)
    return next((d for d in dirs if all((d / tool).is_file() for tool in NEEDED)), None)


def _require_psycopg() -> None:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.fail(
            "psycopg (3) is not installed: pip install 'psycopg[binary]' (setup.cfg installs it)"
        )


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    _require_psycopg()
    external = os.environ.get("APEACH_TEST_PG_URL")
    if external:
        yield PostgresServer(external.replace("postgresql://", "postgresql+psycopg://", 1))
        return
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.fail(
            f"PostgreSQL server binaries ({', '.join(NEEDED)}) not found under /usr/lib/postgresql/*/bin; "
            f"install Debian's package: apt-get install -y {DEBIAN_PACKAGE}"
        )
    as_user: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="apeach-pg-"))  # not under pytest's root-only tmp dir
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail(
                f"running as root, but there is no 'postgres' user to run the server as; "
                f"apt-get install -y {DEBIAN_PACKAGE} creates it"
            )
        os.chown(root, account.pw_uid, account.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, log, port = root / "data", root / "server.log", free_port()

    def run(*argv: str) -> None:
        done = subprocess.run([*as_user, *argv], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log_text = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            pytest.fail(
                f"{' '.join(argv[:2])} failed ({done.returncode}): {done.stderr or done.stdout}\n{log_text}"
            )

    run(
        str(bin_dir / "initdb"),
        "-D",
        str(data),
        "-U",
        "apeach",
        "--auth=trust",
        "-E",
        "UTF8",
        "--no-locale",
    )
    run(
        str(bin_dir / "pg_ctl"),
        "-D",
        str(data),
        "-l",
        str(log),
        "-w",
        "-t",
        "60",
        "-o",
        f"-k {root} -p {port} -h 127.0.0.1 -F",
        "start",
    )
    try:
        yield PostgresServer(f"postgresql+psycopg://apeach@127.0.0.1:{port}/postgres")
    finally:
        subprocess.run(
            [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request, tmp_path) -> Iterator[str]:
    """A fresh, empty ledger database URL: a SQLite file, then a new PostgreSQL database
    (dropped after the test)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.sqlite'}"
        return
    server = request.getfixturevalue("postgres_server")
    url = server.create_database()
    yield url
    server.drop_database(url)
