"""Which database `up` gives Label Studio: parsing a PostgreSQL URL into Label Studio's own
settings, and keeping the password off the command line."""

from __future__ import annotations

import getpass
import re

import pytest
from click.testing import CliRunner

from apeach_ls.cli.up import up
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
