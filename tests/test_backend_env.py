"""label-studio-ml-backend's variable names work as well as ours; both set differently is an error."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from apeach_ls.cli import cli
from apeach_ls.errors import ConfigError
from apeach_ls.ml_backend.settings import BackendSettings, serving_counts
from apeach_ls.settings import ml_basic_auth_from_env, with_ml_backend_aliases

SECRET = {"APEACH_VERDICT_SECRET": "s" * 32}


def test_their_names_alone_are_read_as_ours():
    settings = BackendSettings.from_env(
        {
            "MODEL_DIR": "/models/registry",
            "BASIC_AUTH_USER": "ls",
            "BASIC_AUTH_PASS": "pw",
            "LOG_LEVEL": "DEBUG",
        }
    )
    assert settings.model_spec == "/models/registry"
    assert (settings.basic_auth_user, settings.basic_auth_password) == ("ls", "pw")
    assert settings.log_level == "debug"
    # `apeach-ls setup` connects the backend with the same credentials
    assert ml_basic_auth_from_env({"BASIC_AUTH_USER": "ls", "BASIC_AUTH_PASS": "pw"}) == (
        "ls",
        "pw",
    )


def test_both_names_with_the_same_value_are_fine(tmp_path):
    password_file = tmp_path / "pw"
    password_file.write_text("pw\n", encoding="utf-8")
    env = {
        "APEACH_LS_MODEL": "/m",
        "MODEL_DIR": "/m",
        "APEACH_ML_BASIC_AUTH_USER": "ls",
        "BASIC_AUTH_USER": "ls",
        "APEACH_ML_BASIC_AUTH_PASSWORD_FILE": str(password_file),
        "BASIC_AUTH_PASS": "pw",
        "APEACH_ML_LOG_LEVEL": "warning",
        "LOG_LEVEL": "WARNING",
    }
    settings = BackendSettings.from_env(env)
    assert (settings.model_spec, settings.basic_auth_password, settings.log_level) == (
        "/m",
        "pw",
        "warning",
    )


@pytest.mark.parametrize(
    "ours,theirs",
    [
        ("APEACH_LS_MODEL", "MODEL_DIR"),
        ("APEACH_ML_BASIC_AUTH_USER", "BASIC_AUTH_USER"),
        ("APEACH_ML_BASIC_AUTH_PASSWORD", "BASIC_AUTH_PASS"),
        ("APEACH_ML_LOG_LEVEL", "LOG_LEVEL"),
    ],
)
def test_both_names_with_different_values_are_an_error_naming_both(ours, theirs):
    values = ("info", "error") if "LOG" in ours else ("one", "two")
    env = {ours: values[0], theirs: values[1]}
    with pytest.raises(ConfigError) as error:
        with_ml_backend_aliases(env)
    message = str(error.value)
    assert f"{ours} and {theirs}" in message and "set only one" in message
    assert "one" not in message.replace("only one", "")  # values (maybe secrets) are not echoed


def test_workers_and_threads_default_from_their_env_names_and_flags_win():
    assert serving_counts({}, None, None) == (1, 4)
    assert serving_counts({"WORKERS": "3", "THREADS": "8"}, None, None) == (3, 8)
    assert serving_counts({"WORKERS": "3", "THREADS": "8"}, 2, None) == (2, 8)
    with pytest.raises(ConfigError, match="WORKERS must be a whole number, got 'many'"):
        serving_counts({"WORKERS": "many"}, None, None)
    with pytest.raises(ConfigError, match="THREADS must be at most 256, got 1000"):
        serving_counts({"THREADS": "1000"}, None, None)


def test_the_backend_command_refuses_a_conflict_before_it_starts_anything():
    result = CliRunner().invoke(
        cli,
        ["backend", "--port", "1"],
        env={**SECRET, "APEACH_LS_MODEL": "/a", "MODEL_DIR": "/b"},
    )
    assert result.exit_code == 1
    assert "APEACH_LS_MODEL and MODEL_DIR (label-studio-ml-backend's name for it)" in result.output


def test_the_retrainer_names_what_it_needs(tmp_path):
    result = CliRunner().invoke(
        cli, ["backend", "--retrainer"], env={**SECRET, "APEACH_LS_MODEL": "", "MODEL_DIR": ""}
    )
    assert result.exit_code == 1
    assert "the retrainer needs APEACH_LS_MODEL (or MODEL_DIR) to name a model registry" in (
        result.output
    )
