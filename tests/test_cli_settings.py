"""One settings object per CLI process (issue 17): the environment is read once, into
:class:`apeach_ls.settings.CliSettings`, and library functions get values, never the
environment. The check below reads the product's source, so it fails when a module starts
reading ``os.environ``."""

from __future__ import annotations

import ast
import dataclasses
import os
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import apeach_ls
from apeach_ls.cli.common import settings
from apeach_ls.cli_settings import CliSettings
from apeach_ls.errors import ConfigError

PACKAGE = Path(apeach_ls.__file__).parent

# The modules that may read the environment, and why.
READS_THE_ENVIRONMENT = {
    "cli/common.py": "builds the CLI's settings, once per command",
    "cli/up.py": "`up` and `backend` hand the environment on to the servers they start",
    "embedded.py": "starts Label Studio and the ML backend with the environment they need",
    "overlap_dask.py": "restores the environment dask's local cluster changes",
    "labelstudio/guarded_settings.py": "Django settings of the Label Studio process",
    "classifier/onnx_runtime.py": "XDG_CACHE_HOME, the platform's cache location",
    "ml_backend": "the ML backend's own process and settings (ml_backend/settings.py)",
}


def reads_environment(source: str) -> bool:
    """Whether the code names ``os.environ``, ``os.getenv`` or ``environ``/``getenv`` imported
    from ``os``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "os" and node.attr in ("environ", "getenv", "environb"):
                return True
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            if {a.name for a in node.names} & {"environ", "getenv", "environb"}:
                return True
    return False


def product_modules() -> list[Path]:
    """Every module of the package, the folders linked into it (ml_backend, ...) included."""
    return sorted(
        Path(folder, name)
        for folder, _, names in os.walk(PACKAGE, followlinks=True)
        for name in names
        if name.endswith(".py")
    )


def allowed(relative: str) -> bool:
    return any(relative == a or relative.startswith(a + "/") for a in READS_THE_ENVIRONMENT)


def test_the_check_sees_every_way_of_reading_the_environment():
    assert reads_environment("import os\nx = os.environ.get('A')\n")
    assert reads_environment("import os\nx = os.getenv('A')\n")
    assert reads_environment("from os import environ\n")
    assert not reads_environment("env = {}\nx = env.get('A')\n")


def test_no_library_module_reads_the_environment_but_the_settings_and_the_launchers():
    readers = sorted(
        str(path.relative_to(PACKAGE))
        for path in product_modules()
        if reads_environment(path.read_text(encoding="utf-8"))
    )
    assert "ml_backend/settings.py" in readers  # the folders installed into the package count
    assert [r for r in readers if not allowed(r)] == []
    # every entry of the allow-list is still needed (a stale one hides a new reader)
    assert {a for a in READS_THE_ENVIRONMENT if not any(allowed_by(a, r) for r in readers)} == set()


def allowed_by(entry: str, relative: str) -> bool:
    return relative == entry or relative.startswith(entry + "/")


def test_settings_are_read_from_the_given_environment_with_defaults():
    given = CliSettings.from_env(
        {
            "APEACH_CAMPAIGN": "c9",
            "APEACH_LS_HOME": "/data/ls",
            "LABEL_STUDIO_URL": "http://127.0.0.1:8080/",
            "APEACH_LS_MODEL": "hf:x",
        }
    )
    assert (given.campaign, given.data_dir, given.label_studio_url, given.model) == (
        "c9",
        Path("/data/ls"),
        "http://127.0.0.1:8080",
        "hf:x",
    )
    empty = CliSettings.from_env({})
    assert (empty.campaign, empty.data_dir, empty.label_studio_url, empty.model) == (
        "apeach",
        Path("apeach-ls-data"),
        "",
        None,
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        given.campaign = "other"  # type: ignore[misc]


def test_secrets_come_from_the_settings_environment_only_when_asked(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("k-123\n", encoding="utf-8")
    env = {"LABEL_STUDIO_URL": "http://ls", "LABEL_STUDIO_API_KEY_FILE": str(key_file)}
    given = CliSettings.from_env(env)
    env["LABEL_STUDIO_URL"] = "http://changed"  # the settings keep what they were built from
    assert given.label_studio().url == "http://ls"
    assert given.label_studio().api_key == "k-123"
    assert "k-123" not in repr(given)
    broken = CliSettings.from_env({"LABEL_STUDIO_API_KEY_FILE": str(tmp_path / "none")})
    with pytest.raises(ConfigError, match="LABEL_STUDIO_API_KEY_FILE: cannot read"):
        broken.secret("LABEL_STUDIO_API_KEY")
    with pytest.raises(ConfigError, match="No verdict secret"):
        CliSettings.from_env({"APEACH_LS_HOME": str(tmp_path)}).verdict_key()


def test_a_command_reads_the_environment_once(monkeypatch):
    seen = []

    @click.command()
    def command() -> None:
        first = settings()
        monkeypatch.setenv("APEACH_CAMPAIGN", "changed-meanwhile")
        seen.append((first, settings()))

    result = CliRunner().invoke(command, env={"APEACH_CAMPAIGN": "c1"})
    assert result.exit_code == 0, result.output
    ((first, second),) = seen
    assert first is second and first.campaign == "c1"
