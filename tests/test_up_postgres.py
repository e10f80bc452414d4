"""`apeach-ls up` with Label Studio on PostgreSQL (the real server of tests/pg.py): the
projects live in PostgreSQL, the password stays out of argv, output and logs, and a second
`up` reuses the same database."""

from __future__ import annotations

import signal
from pathlib import Path

import psycopg
import pytest
from pg import postgres_server  # noqa: F401
from up_run import UpRun, clean_env, environ_of, listener_pids

from apeach_ls.processes import free_port

pytestmark = pytest.mark.integration

PASSWORD = "pg-pass-5f1c2e"  # the test server trusts loopback: any password connects


def projects_in(url: str) -> list[tuple[int, str]]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT id, title FROM project ORDER BY id").fetchall()


def test_up_runs_label_studio_on_postgresql_and_a_second_run_reuses_it(tmp_path, postgres_server):  # noqa: F811
    url = postgres_server.create_database().replace("postgresql+psycopg://", "postgresql://")
    user_host, name = url.removeprefix("postgresql://").split("/")
    data, port = tmp_path / "data", free_port()
    args = ["--data-dir", str(data), "--port", str(port), "--per-topic", "1", "--campaign", "pg"]
    secret_url = f"postgresql://{user_host.replace('@', f':{PASSWORD}@')}/{name}"
    run = UpRun(
        [*args, "--ml-port", str(free_port())], clean_env(APEACH_LS_DATABASE_URL=secret_url)
    )
    try:
        out = run.wait_for("ready.")
        assert f"Label Studio database: {url}" in out
        assert "generation project: created" in out
        [ls_pid] = [
            p
            for p in listener_pids(port)
            if "label_studio" in Path(f"/proc/{p}/cmdline").read_text()
        ]
        ls_env = environ_of(ls_pid)
        assert (ls_env["DJANGO_DB"], ls_env["POSTGRE_NAME"], ls_env["POSTGRE_PASSWORD"]) == (
            "default",
            name,
            PASSWORD,
        )
        assert PASSWORD not in Path(f"/proc/{ls_pid}/cmdline").read_text()
        assert PASSWORD not in Path(f"/proc/{run.process.pid}/cmdline").read_text()
    finally:
        out = run.stop(signal.SIGTERM)
    assert run.process.returncode == 0
    projects = projects_in(url)
    assert [title for _, title in projects] == ["pg · APEACH generation"]
    assert not list((data / "label-studio").glob("*.sqlite3"))  # nothing went to SQLite
    assert (data / "label-studio-database").read_text().strip() == url
    logs = "".join(p.read_text() for p in (data / "logs").iterdir())
    assert PASSWORD not in out and PASSWORD not in logs

    # the second run: the URL on the command line, no password anywhere (trust); same projects
    rerun = UpRun([*args, "--ml-port", str(free_port()), "--database", url], clean_env())
    try:
        out = rerun.wait_for("ready.")
        assert f"Label Studio database: {url}" in out
        assert f"generation project: unchanged (id {projects[0][0]})" in out
        assert "prompts: 0 added, 10 already there" in out
    finally:
        rerun.stop(signal.SIGTERM)
    assert projects_in(url) == projects
    with psycopg.connect(url) as conn:
        [[tasks]] = conn.execute("SELECT count(*) FROM task").fetchall()
    assert tasks == 10
    postgres_server.drop_database(url.replace("postgresql://", "postgresql+psycopg://"))
