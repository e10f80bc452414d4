"""Which database `up` gives Label Studio: parsing a PostgreSQL URL into Label Studio's own
settings, and keeping the password off the command line."""

from __future__ import annotations

import getpass
import re

import pytest
from click.testing import CliRunner

from apeach_ls.cli.up import choose_database, remember_database, up
from apeach_ls.errors import ConfigError
from apeach_ls.ls_database import PostgresDatabase, parse_database_url, without_database_settings


def test_a_url_becomes_label_studio_s_own_postgresql_settings():
    database = parse_database_url(
        "postgresql://ls%40team:p%2Fw@db.example.org:6543/label_studio", from_command_line=False
    )
    assert database.label_studio_env() == {
        "DJANGO_DB": "default",
        "POSTGRE_NAME": "label_studio",
        "POSTGRE_USER": "ls@team",
        "POSTGRE_PASSWORD": "p/w",
        "POSTGRE_HOST": "db.example.org",
        "POSTGRE_PORT": "6543",
    }
    assert database.url == "postgresql://ls@team@db.example.org:6543/label_studio"
    assert "p/w" not in repr(database)


def test_defaults_follow_libpq_and_an_empty_password_leaves_it_to_pgpassword():
    database = parse_database_url("postgres:///labelstudio", from_command_line=True)
    assert database == PostgresDatabase(getpass.getuser(), "localhost", 5432, "labelstudio")
    assert database.label_studio_env()["POSTGRE_PASSWORD"] == ""


@pytest.mark.parametrize(
    "url,from_command_line,message",
    [
        (
            "postgresql://u:secret-pw@h/db",
            True,
            "--database: the URL holds a password, which would be visible",
        ),
        ("sqlite:///ls.db", True, "--database: expected a postgresql://user@host:port/name URL"),
        ("postgresql://u@h:5432/", False, "APEACH_LS_DATABASE_URL: the URL names no database"),
        ("postgresql://u@h:99999/db", True, "--database: not a database URL"),
        ("postgresql://u@h/db?sslmode=require", True, "URL parameters (after '?')"),
    ],
)
def test_bad_urls_are_refused_with_the_fix(url, from_command_line, message):
    with pytest.raises(ConfigError, match=re.escape(message)) as error:
        parse_database_url(url, from_command_line)
    assert "secret-pw" not in str(error.value)


def test_label_studio_s_database_settings_are_taken_only_from_up():
    env = {
        "LABEL_STUDIO_POSTGRE_HOST": "elsewhere",
        "HEARTEX_DJANGO_DB": "sqlite",
        "DATABASE_NAME": "/tmp/other.sqlite3",
        "PGPASSWORD": "kept for libpq",
        "HOME": "/root",
    }
    assert without_database_settings(env) == {"PGPASSWORD": "kept for libpq", "HOME": "/root"}


def test_up_refuses_a_password_on_the_command_line_and_keeps_nothing(tmp_path):
    result = CliRunner().invoke(
        up,
        ["--data-dir", str(tmp_path), "--database", "postgresql://ls:hunter2-pw@127.0.0.1/ls"],
    )
    assert result.exit_code == 1
    assert "the URL holds a password" in result.output and "hunter2-pw" not in result.output
    assert not (tmp_path / "label-studio-database").exists()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://ls:se/cret-pw@127.0.0.1/ls",  # an unescaped '/' ends the host part early
        "postgresql://ls:sec#ret-pw@127.0.0.1/ls",
        "postgresql://ls:sec?ret-pw@127.0.0.1/ls",
        "postgresql://ls:[sec]ret-pw@127.0.0.1/ls",
    ],
)
@pytest.mark.parametrize("from_command_line", [True, False])
def test_a_url_that_does_not_parse_shows_no_part_of_its_password(url, from_command_line):
    with pytest.raises(ConfigError, match="percent-encoded") as error:
        parse_database_url(url, from_command_line)
    assert "sec" not in str(error.value) and "ret-pw" not in str(error.value)


def pg_env(monkeypatch, **env):
    for name in ("APEACH_LS_DATABASE_URL", "APEACH_LS_DATABASE_URL_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def test_a_url_file_holding_a_password_must_be_readable_by_its_owner_only(tmp_path, monkeypatch):
    url_file = tmp_path / "ls-url"
    url_file.write_text("postgresql://ls:hunter2-pw@127.0.0.1:5432/ls\n")
    url_file.chmod(0o644)
    pg_env(monkeypatch, APEACH_LS_DATABASE_URL_FILE=str(url_file))
    with pytest.raises(ConfigError, match=re.escape(f"chmod 600 {url_file}")) as error:
        choose_database(tmp_path / "data", None)
    assert "hunter2-pw" not in str(error.value)
    url_file.chmod(0o600)
    assert choose_database(tmp_path / "data", None).password == "hunter2-pw"


def test_a_sqlite_data_dir_is_not_moved_to_postgresql_silently(tmp_path, monkeypatch):
    pg_env(monkeypatch)
    (tmp_path / "label-studio").mkdir()
    (tmp_path / "label-studio" / "label_studio.sqlite3").write_bytes(b"projects")
    with pytest.raises(ConfigError, match="holds a Label Studio on SQLite") as error:
        choose_database(tmp_path, "postgresql://ls@127.0.0.1/ls")
    assert "move" in str(error.value) and "--data-dir" in str(error.value)
    assert choose_database(tmp_path, None) is None  # still SQLite
    assert not (tmp_path / "label-studio-database").exists()


def test_a_postgresql_data_dir_is_not_moved_to_another_database_silently(tmp_path, monkeypatch):
    pg_env(monkeypatch)
    (tmp_path / "label-studio-database").write_text("postgresql://ls@127.0.0.1:5432/ls\n")
    assert choose_database(tmp_path, "postgres://ls@127.0.0.1/ls").url.endswith("/ls")  # same one
    with pytest.raises(ConfigError, match="runs Label Studio on postgresql://ls@127.0.0.1:5432/ls"):
        choose_database(tmp_path, "postgresql://ls@127.0.0.1/other")


def test_the_database_is_remembered_only_once_label_studio_runs_on_it(tmp_path, monkeypatch):
    pg_env(monkeypatch, APEACH_LS_DATABASE_URL="postgresql://ls:hunter2-pw@127.0.0.1:1/ls")
    postgres = choose_database(tmp_path, None)
    assert not (tmp_path / "label-studio-database").exists()  # a failed start leaves nothing
    remember_database(tmp_path, postgres)
    assert (tmp_path / "label-studio-database").read_text() == "postgresql://ls@127.0.0.1:1/ls\n"


def test_a_server_that_dies_while_starting_says_why_without_its_secrets(tmp_path):
    """Label Studio on an unreachable PostgreSQL: `up` quotes the error, not the password."""
    import sys

    from apeach_ls.errors import ApeachError
    from apeach_ls.processes import ManagedProcess, free_port

    crash = (
        "import sys; print('Traceback (most recent call last):'); "
        "sys.exit('django.db.utils.OperationalError: connection failed: connection to server at "
        '"127.0.0.1", port 1 failed: Connection refused (as ls, hunter2-pw)\')'
    )
    server = ManagedProcess(
        "Label Studio",
        [sys.executable, "-c", crash],
        {"POSTGRE_PASSWORD": "hunter2-pw", "PATH": "/usr/bin:/bin"},
        tmp_path / "ls.log",
        f"http://127.0.0.1:{free_port()}/health",
    ).start()
    try:
        with pytest.raises(ApeachError) as error:
            server.wait_healthy(30)
    finally:
        server.stop()
    message = str(error.value)
    assert "OperationalError: connection failed" in message and "Connection refused" in message
    assert "hunter2-pw" not in message and str(tmp_path / "ls.log") in message
