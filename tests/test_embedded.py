"""The embedded default without starting servers: logins and secrets kept in the data dir,
one `up` per data dir, the settings `env` prints, SSRF settings, the built-in model, the
backend's supervision, and the set-up scripts' packaging."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from apeach_ls import datadir
from apeach_ls.cli import cli
from apeach_ls.embedded import (
    DEFAULT_BANNED_SUBNETS,
    SHIPPED_MODEL_DIR,
    banned_subnets_except,
    choose_model,
    label_studio_process,
    ml_backend_process,
    ssrf_settings,
)
from apeach_ls.errors import ApeachError, ConfigError
from apeach_ls.processes import Backoff, supervise

REPO = Path(__file__).resolve().parents[1]


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


# --- logins and secrets -----------------------------------------------------------------


def test_a_generated_login_is_shown_until_a_run_succeeded(tmp_path):
    login, sources = datadir.admin_login(tmp_path, env={})
    assert not sources.shown and not sources.password_from_env and not sources.api_key_from_env
    assert re.fullmatch(r"[0-9a-f]{40}", login.api_key)
    assert (
        mode(tmp_path / "credentials.json") == 0o600
        and mode(tmp_path / "label-studio-api-key") == 0o600
    )
    assert (tmp_path / "label-studio-api-key").read_text().strip() == login.api_key
    assert login.api_key not in (tmp_path / "credentials.json").read_text()

    # the first run failed before it was ready: the next one still shows the password
    again, sources = datadir.admin_login(tmp_path, env={})
    assert again == login and not sources.shown
    datadir.mark_login_shown(tmp_path)
    third, sources = datadir.admin_login(tmp_path, env={})
    assert third == login and sources.shown


def test_a_login_from_the_environment_is_never_stored(tmp_path):
    env = {
        "LABEL_STUDIO_USERNAME": "owner@example.com",
        "LABEL_STUDIO_PASSWORD": "pw-123456",
        "LABEL_STUDIO_API_KEY": "ab" * 20,
    }
    login, sources = datadir.admin_login(tmp_path, env=env)
    assert (login.username, login.password, login.api_key) == (
        "owner@example.com",
        "pw-123456",
        "ab" * 20,
    )
    assert sources.all_from_env
    assert list(tmp_path.iterdir()) == []


def test_an_api_key_kept_by_an_earlier_version_moves_to_its_own_file(tmp_path):
    (tmp_path / "credentials.json").write_text(
        json.dumps({"username": "a@b.c", "password": "pw", "api_key": "cd" * 20})
    )
    login, sources = datadir.admin_login(tmp_path, env={})
    assert (login.username, login.password, login.api_key) == ("a@b.c", "pw", "cd" * 20)
    assert (tmp_path / "label-studio-api-key").read_text().strip() == "cd" * 20
    assert "api_key" not in json.loads((tmp_path / "credentials.json").read_text())


def test_the_verdict_secret_is_generated_once_and_the_environment_wins(tmp_path):
    env = datadir.verdict_secret_env(tmp_path, env={})
    path = Path(env["APEACH_VERDICT_SECRET_FILE"])
    assert path == (tmp_path / "verdict-secret").resolve() and mode(path) == 0o600
    secret = path.read_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", secret)  # 32 random bytes
    assert (
        datadir.verdict_secret_env(tmp_path, env={}) == env and path.read_text().strip() == secret
    )
    assert (
        datadir.verdict_secret_env(tmp_path / "other", env={"APEACH_VERDICT_SECRET": "x" * 40})
        == {}
    )
    given = tmp_path / "given"
    assert datadir.verdict_secret_env(
        tmp_path / "other", env={"APEACH_VERDICT_SECRET_FILE": str(given)}
    ) == {"APEACH_VERDICT_SECRET_FILE": str(given.resolve())}
    assert not (tmp_path / "other").exists()


def test_the_backend_basic_auth_is_generated_once_and_the_environment_wins(tmp_path):
    auth = datadir.ml_basic_auth(tmp_path, env={})
    path = (tmp_path / "ml-basic-auth-password").resolve()
    assert (
        auth.user == "apeach-ls"
        and mode(path) == 0o600
        and path.read_text().strip() == auth.password
    )
    assert (
        auth.backend_env
        == auth.exports
        == {
            "APEACH_ML_BASIC_AUTH_USER": "apeach-ls",
            "APEACH_ML_BASIC_AUTH_PASSWORD_FILE": str(path),
        }
    )
    assert datadir.ml_basic_auth(tmp_path, env={}).password == auth.password
    assert auth.password not in repr(auth)

    mine = datadir.ml_basic_auth(
        tmp_path, env={"APEACH_ML_BASIC_AUTH_USER": "me", "APEACH_ML_BASIC_AUTH_PASSWORD": "pw"}
    )
    assert (mine.user, mine.password, mine.backend_env) == ("me", "pw", {})
    assert mine.exports == {"APEACH_ML_BASIC_AUTH_USER": "me"}
    with pytest.raises(
        ConfigError, match="Set both APEACH_ML_BASIC_AUTH_USER and APEACH_ML_BASIC_AUTH_PASSWORD"
    ):
        datadir.ml_basic_auth(tmp_path, env={"APEACH_ML_BASIC_AUTH_USER": "me"})


def test_the_backend_fixture_passes_a_verdict_secret(tmp_path, monkeypatch):
    import conftest

    started = {}

    class Fake:
        log_path = tmp_path / "log"

        def start(self):
            return self

        def wait_healthy(self, timeout, auth=None):
            pass

    def fake_process(data_dir, port, model_spec, threads=4, extra_env=None):
        started.update(extra_env or {})
        return Fake()

    monkeypatch.setattr("apeach_ls.embedded.ml_backend_process", fake_process)
    conftest.start_backend(tmp_path, tmp_path / "model")
    secret_file = Path(started["APEACH_VERDICT_SECRET_FILE"])
    assert secret_file.is_relative_to(tmp_path) and len(secret_file.read_text().strip()) == 64


# --- one `up` per data dir, and `apeach-ls env` --------------------------------------------

HOLD = """
import sys, time
from pathlib import Path
from apeach_ls.datadir import UpLock
UpLock(Path(sys.argv[1])).acquire({"pid": __import__("os").getpid(), "label_studio_url": "http://127.0.0.1:8181",
                                   "ml_url": "http://127.0.0.1:9191", "exports": {}})
print("held", flush=True)
time.sleep(60)
"""


def test_a_second_up_on_the_same_data_dir_is_refused_naming_the_running_one(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        assert datadir.is_running(tmp_path)
        with pytest.raises(datadir.AlreadyRunning) as caught:
            datadir.UpLock(tmp_path).acquire({"pid": os.getpid()})
        assert str(caught.value) == (
            f"another `apeach-ls up` (pid {holder.pid}) is running on the data directory {tmp_path}: Label Studio "
            f"http://127.0.0.1:8181, ML backend http://127.0.0.1:9191; stop it first (Ctrl-C in its terminal, or "
            f"kill {holder.pid}), or use another --data-dir"
        )
        assert datadir.read_state(tmp_path)["pid"] == holder.pid  # the refused one wrote nothing
    finally:
        holder.kill()
        holder.wait()
    assert not datadir.is_running(tmp_path)  # the kernel dropped the lock with the process
    lock = datadir.UpLock(tmp_path)
    lock.acquire({"pid": os.getpid()})
    lock.release()


def test_env_prints_file_paths_never_secrets(tmp_path):
    auth = datadir.ml_basic_auth(tmp_path, env={})
    verdict = datadir.verdict_secret_env(tmp_path, env={})
    login, _ = datadir.admin_login(tmp_path, env={})
    exports = {
        "LABEL_STUDIO_URL": "http://127.0.0.1:8080",
        "LABEL_STUDIO_API_KEY_FILE": str(tmp_path / "label-studio-api-key"),
        "APEACH_ML_URL": "http://127.0.0.1:9090",
        **auth.exports,
        **verdict,
        "APEACH_CAMPAIGN": "apeach",
    }
    lock = datadir.UpLock(tmp_path)
    lock.acquire({"pid": os.getpid(), "exports": exports, "notes": []})
    try:
        result = CliRunner().invoke(cli, ["env", "--data-dir", str(tmp_path)])
    finally:
        lock.release()
    assert result.exit_code == 0, result.output
    assert (
        result.output.splitlines()[0]
        == f"# apeach-ls up on {tmp_path}: running (pid {os.getpid()})"
    )
    assert f"export LABEL_STUDIO_API_KEY_FILE={tmp_path}/label-studio-api-key" in result.output
    assert f"export APEACH_VERDICT_SECRET_FILE={tmp_path.resolve()}/verdict-secret" in result.output
    assert (
        f"export APEACH_ML_BASIC_AUTH_PASSWORD_FILE={tmp_path.resolve()}/ml-basic-auth-password"
        in result.output
    )
    verdict_secret = Path(verdict["APEACH_VERDICT_SECRET_FILE"]).read_text().strip()
    for secret in (auth.password, login.api_key, login.password, verdict_secret):
        assert secret not in result.output

    stopped = CliRunner().invoke(cli, ["env", "--data-dir", str(tmp_path)])
    assert "not running; these are its last run's settings" in stopped.output

    none = CliRunner().invoke(cli, ["env", "--data-dir", str(tmp_path / "nothing")])
    assert none.exit_code == 1
    assert f"no `apeach-ls up` has run on {tmp_path / 'nothing'} yet" in none.output


# --- Label Studio's settings -------------------------------------------------------------


def test_the_banned_subnets_copy_matches_the_installed_label_studio():
    label_studio = pytest.importorskip("label_studio")
    source = (Path(label_studio.__file__).parent / "core" / "utils" / "io.py").read_text()
    start = source.index("default_banned_subnets = [")
    block = source[start : source.index("]", start)]
    assert tuple(re.findall(r"'([0-9a-f.:/]+)'", block)) == DEFAULT_BANNED_SUBNETS


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "192.168.0.7"])
def test_ssrf_settings_ban_every_default_network_but_the_backend_address(address):
    import ipaddress

    subnets = [ipaddress.ip_network(s) for s in banned_subnets_except(address)]
    assert not any(ipaddress.ip_address(address) in s for s in subnets)
    for banned in (
        "127.0.0.2",
        "127.0.1.1",
        "10.0.0.1",
        "169.254.169.254",
        "172.16.0.1",
        "192.168.1.1",
        "::1",
    ):
        if banned != address:
            assert any(ipaddress.ip_address(banned) in s for s in subnets), banned
    settings = ssrf_settings(address)
    assert (
        settings["SSRF_PROTECTION_ENABLED"] == "true"
        and settings["USE_DEFAULT_BANNED_SUBNETS"] == "false"
    )
    assert (
        settings["ML_BLOCK_LOCAL_IP"] == "false"
    )  # no allow-list for ML URLs in Label Studio 1.23


def test_label_studio_binds_to_loopback_with_sign_up_by_invite_and_ssrf_on(tmp_path):
    login = datadir.AdminLogin("a@b.c", "pw", "ab" * 20)
    process = label_studio_process(tmp_path, 18123, login)
    argv = process.argv
    assert argv[argv.index("--internal-host") + 1] == "127.0.0.1"
    assert argv[argv.index("--host") + 1] == "http://127.0.0.1:18123"
    assert process.env["DISABLE_SIGNUP_WITHOUT_LINK"] == "true"
    assert process.env["SSRF_PROTECTION_ENABLED"] == "true"
    assert "127.0.0.1" not in process.env["USER_ADDITIONAL_BANNED_SUBNETS"].split(",")
    backend = ml_backend_process(tmp_path, 19123, "model")
    assert backend.argv[backend.argv.index("--bind") + 1] == "127.0.0.1:19123"


def test_ssrf_settings_command_prints_exports():
    result = CliRunner().invoke(cli, ["ssrf-settings", "10.0.0.5"])
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == "export SSRF_PROTECTION_ENABLED=true"
    assert "10.0.0.4/32,10.0.0.6/31" in result.output
    bad = CliRunner().invoke(cli, ["ssrf-settings", "ml-host"])
    assert bad.exit_code == 1 and "'ml-host' is not an IP address" in bad.output


# --- the built-in model --------------------------------------------------------------------


def test_without_any_model_file_up_serves_the_built_in_model(tmp_path):
    from apeach_ls.classifier import load_classifier

    choice = choose_model(tmp_path, None)
    assert choice.spec == str(SHIPPED_MODEL_DIR) and "BEEP! (CC BY-SA 4.0" in choice.source
    model = load_classifier(choice.spec)
    hate, clean = model.classify(
        ["여자는 집에서 밥이나 해라 멍청한 것들", "오늘 날씨가 정말 좋네요 산책 가야겠어요"]
    )
    assert hate.label == "hate" and clean.label == "not_hate"
    assert sum(p.stat().st_size for p in SHIPPED_MODEL_DIR.iterdir()) < 1_200_000
    note = (SHIPPED_MODEL_DIR / "README.md").read_text()
    assert (
        "CC BY-SA 4.0" in note
        and "Moon" in note
        and "creativecommons.org/licenses/by-sa/4.0" in note
    )
    assert choose_model(tmp_path, "hf:x").spec == "hf:x"


def test_the_built_in_model_is_rebuilt_exactly_by_its_script(tmp_path, beep_dir):
    subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "train_default_model.py"),
            "--beep",
            str(beep_dir),
            "--out",
            str(tmp_path / "m"),
        ],
        check=True,
        capture_output=True,
    )
    rebuilt = json.loads((tmp_path / "m" / "model.json").read_text())
    shipped = json.loads((SHIPPED_MODEL_DIR / "model.json").read_text())
    assert rebuilt == shipped


def test_the_wheel_builds_without_warnings_and_ships_the_model(tmp_path):
    copy = tmp_path / "src"
    copy.mkdir()
    for name in (
        "setup.cfg",
        "pyproject.toml",
        "README.md",
        "apeach_ls",
        "ml_backend",
        "label_config",
    ):
        (shutil.copytree if (REPO / name).is_dir() else shutil.copy)(REPO / name, copy / name)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    import setuptools

    if int(setuptools.__version__.split(".")[0]) >= 68:  # pyproject.toml's build requirement
        # the wheel, and the editable wheel scripts/venv.sh installs
        build = (
            f"from setuptools import build_meta; build_meta.build_wheel({str(tmp_path / 'dist')!r}); "
            f"build_meta.build_editable({str(tmp_path / 'editable')!r})"
        )
        argv = [sys.executable, "-c", build]
    else:  # as pip installs it: in an isolated build environment with a recent setuptools
        argv = [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            ".",
        ]
    build = subprocess.run(argv, cwd=copy, env=env, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    notices = [
        line
        for line in (build.stdout + build.stderr).splitlines()
        if "warn" in line.lower() or "InformationOnly" in line or line.strip() == "!!"
    ]  # setuptools' banner
    assert notices == []
    [wheel] = (tmp_path / "dist").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("model.json", "vocabulary.json", "weights.npz", "README.md"):
        assert f"apeach_ls/data/default_model/{name}" in names
    assert "apeach_ls/data/topics.json" in names
    assert "apeach_ls/label_config/generation.xml" in names
    assert "apeach_ls/ml_backend/wsgi.py" in names
    assert not any("__pycache__" in n for n in names)
    # installing apeach-ls claims one top-level import name: ml_backend and label_config live
    # under it (the repository keeps their folders beside apeach_ls/)
    top_level = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top_level == {"apeach_ls"}


# --- scripts/up.sh installs only when the requirements changed ------------------------------

FAKE_PYTHON = """#!/bin/sh
echo "python $*" >> "$(dirname "$0")/../calls"
if [ "$1" = "-V" ]; then echo "Python 3.11.2"; fi
"""
FAKE_APEACH_LS = """#!/bin/sh
echo "apeach-ls $*" >> "$(dirname "$0")/../calls"
"""


def test_up_sh_runs_pip_only_when_the_requirements_changed(tmp_path):
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    for name in ("up.sh", "venv.sh"):
        shutil.copy(REPO / "scripts" / name, repo / "scripts" / name)
    for name in ("setup.cfg", "pyproject.toml"):
        shutil.copy(REPO / name, repo / name)
    bin_dir = repo / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name, text in (("python", FAKE_PYTHON), ("apeach-ls", FAKE_APEACH_LS)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    calls = repo / ".venv" / "calls"
    env = {k: v for k, v in os.environ.items() if k != "APEACH_TRAIN_DATA"}

    def run(*args):
        calls.unlink(missing_ok=True)
        subprocess.run(
            ["bash", str(repo / "scripts" / "up.sh"), *args],
            check=True,
            env=env,
            capture_output=True,
        )
        return [line for line in calls.read_text().splitlines() if not line.startswith("python -V")]

    install = "python -m pip install -q -e .[server,release]"
    assert run("--port", "8081") == [
        "python -m pip install -q --upgrade pip",
        install,
        "apeach-ls up --port 8081",
    ]
    assert run("--port", "8081") == ["apeach-ls up --port 8081"]
    with open(repo / "setup.cfg", "a") as fh:
        fh.write("\n# a changed requirement\n")
    assert run()[1] == install
    assert run() == ["apeach-ls up"]


# --- supervision: a crashed backend comes back, Label Studio stays ---------------------------


class FakeServer:
    def __init__(self, name, lives):
        self.name, self.log_path, self.lives = name, Path(f"/logs/{name}"), list(lives)
        self.starts, self.alive = 0, True

    @property
    def running(self):
        return self.alive

    @property
    def exit_code(self):
        return None if self.alive else -9

    def start(self):
        self.starts += 1
        self.alive = True

    def stop(self):
        self.alive = False

    def wait_healthy(self, timeout, auth=None):
        if self.lives and self.lives.pop(0) == "fails":
            self.alive = False
            raise ApeachError(f"{self.name} exited with code 1 while starting")


def test_a_crashed_backend_is_restarted_with_growing_delays_while_label_studio_stays(monkeypatch):
    ls, ml = FakeServer("Label Studio", []), FakeServer("ML backend", ["fails", "fails", "ok"])
    clock = {"now": 0.0}
    slept, said = [], []
    polls = {"n": 0}

    def sleep(seconds):
        slept.append(seconds)
        clock["now"] += seconds
        if seconds == 0.5:
            polls["n"] += 1
            if polls["n"] == 1:
                ml.alive = False  # the backend crashes once it served for a moment
            if polls["n"] == 3:
                ls.alive = False  # then Label Studio stops: supervision ends

    with pytest.raises(ApeachError, match=r"Label Studio stopped unexpectedly \(exit code -9\)"):
        supervise(
            ls,
            ml,
            said.append,
            backoff=Backoff(first=1, limit=4),
            sleep=sleep,
            clock=lambda: clock["now"],
        )
    assert ml.starts == 3 and ls.starts == 0
    assert [s for s in slept if s != 0.5] == [1, 2, 4]
    assert (
        said[0]
        == "ML backend exited (code -9); restarting it in 1 s (see /logs/ML backend); Label Studio stays up"
    )
    assert said[-1] == "ML backend is back"


def test_backoff_starts_over_after_a_stable_run():
    backoff = Backoff(first=1, limit=30)
    assert [backoff.next_delay() for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    backoff.reset()
    assert backoff.next_delay() == 1


def test_the_product_imports_ml_backend_and_label_config_only_under_apeach_ls():
    """The wheel has no top-level ``ml_backend`` or ``label_config``: an import of either by its
    bare name works in a checkout (the repository root is on the path) and fails once installed."""
    import ast

    bare = []
    for path in sorted((REPO / "apeach_ls").rglob("*.py")) + sorted(
        (REPO / "scripts").glob("*.py")
    ):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom) and node.level == 0
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            bare += [
                f"{path.relative_to(REPO)}:{node.lineno} {n}"
                for n in names
                if n.split(".")[0] in ("ml_backend", "label_config")
            ]
    assert bare == []
