"""`apeach-ls backend` checks its settings and its port before gunicorn starts: one line, no traceback."""

from __future__ import annotations

import socket

from click.testing import CliRunner

from apeach_ls.cli import cli


def test_a_missing_verdict_secret_is_one_line():
    result = CliRunner().invoke(
        cli,
        ["backend", "--port", "1"],
        env={"APEACH_VERDICT_SECRET": None, "APEACH_VERDICT_SECRET_FILE": None},
    )
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.startswith("Error: No verdict secret: set APEACH_VERDICT_SECRET_FILE")


def test_a_bad_setting_is_one_line():
    result = CliRunner().invoke(cli, ["backend"], env={"APEACH_ML_MAX_BATCH": "lots"})
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert "APEACH_ML_MAX_BATCH must be a whole number, got 'lots'" in result.output


def test_a_port_in_use_is_named():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["backend", "--port", str(port)])
    assert result.exit_code == 1
    assert (
        result.output
        == f"Error: port {port} is already in use on 127.0.0.1; choose another with --port\n"
    )
